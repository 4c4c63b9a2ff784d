using System.Text.Json;
using System.Text.Json.Serialization;

namespace Nanokit.Providers.Kubernetes;

// The few core/v1 shapes the provider reads and writes, named as in the API reference (camelCase on the wire).
// Fields Nanokit does not use are absent: a pod read back and written again is never sent (pods are replaced, not updated).

internal sealed record ObjectMeta
{
    public string? Name { get; init; }
    public string? Namespace { get; init; }
    public string? Uid { get; init; }
    public string? ResourceVersion { get; init; }
    public long? Generation { get; init; }
    public DateTimeOffset? DeletionTimestamp { get; init; }
    public Dictionary<string, string>? Labels { get; init; }
    public Dictionary<string, string>? Annotations { get; init; }
}

internal sealed record ListMeta(string? ResourceVersion);

internal sealed record Pod
{
    public string ApiVersion { get; init; } = "v1";
    public string Kind { get; init; } = "Pod";
    public required ObjectMeta Metadata { get; init; }
    public required PodSpec Spec { get; init; }
    public PodStatus? Status { get; init; }
}

internal sealed record PodList(ListMeta Metadata, List<Pod> Items);

internal sealed record PodSpec
{
    public required List<Container> Containers { get; init; }
    public string? RestartPolicy { get; init; }
    public long? TerminationGracePeriodSeconds { get; init; }
    public string? NodeName { get; init; }
    public List<Volume>? Volumes { get; init; }
}

/// <summary>A pod volume: secret and configMap sources (secrets and configs), claims (named volumes) and emptyDir (tmpfs, anonymous volumes).</summary>
internal sealed record Volume(string Name)
{
    public SecretVolumeSource? Secret { get; init; }
    public ConfigMapVolumeSource? ConfigMap { get; init; }
    public PersistentVolumeClaimVolumeSource? PersistentVolumeClaim { get; init; }
    public EmptyDirVolumeSource? EmptyDir { get; init; }
}

internal sealed record PersistentVolumeClaimVolumeSource(string ClaimName, bool ReadOnly);

/// <summary>An emptyDir; <see cref="Medium"/> "Memory" is a tmpfs, null the node's disk.</summary>
internal sealed record EmptyDirVolumeSource(string? Medium);

internal sealed record PersistentVolumeClaim
{
    public string ApiVersion { get; init; } = "v1";
    public string Kind { get; init; } = "PersistentVolumeClaim";
    public required ObjectMeta Metadata { get; init; }
    public required PersistentVolumeClaimSpec Spec { get; init; }
}

internal sealed record PersistentVolumeClaimSpec(List<string> AccessModes, VolumeResourceRequirements Resources);

internal sealed record VolumeResourceRequirements(Dictionary<string, string> Requests);

internal sealed record SecretVolumeSource(string SecretName, List<KeyToPath> Items);

internal sealed record ConfigMapVolumeSource(string Name, List<KeyToPath> Items);

/// <summary>One key of a Secret or ConfigMap projected as the file <see cref="Path"/> with <see cref="Mode"/> (decimal on the wire).</summary>
internal sealed record KeyToPath(string Key, string Path, int? Mode);

internal sealed record VolumeMount(string Name, string MountPath, string? SubPath, bool ReadOnly);

internal sealed record KubeSecret
{
    public string ApiVersion { get; init; } = "v1";
    public string Kind { get; init; } = "Secret";
    public required ObjectMeta Metadata { get; init; }
    public string? Type { get; init; }

    /// <summary>Base64 on the wire, as System.Text.Json writes a byte array.</summary>
    public Dictionary<string, byte[]>? Data { get; init; }
}

internal sealed record ConfigMap
{
    public string ApiVersion { get; init; } = "v1";
    public string Kind { get; init; } = "ConfigMap";
    public required ObjectMeta Metadata { get; init; }
    public Dictionary<string, string>? Data { get; init; }
    public Dictionary<string, byte[]>? BinaryData { get; init; }
}

/// <summary>Any list read only for its items' names and specs' references.</summary>
internal sealed record MetadataList(ListMeta Metadata, List<MetadataOnly> Items);

internal sealed record MetadataOnly(ObjectMeta Metadata);

internal sealed record Container
{
    public required string Name { get; init; }
    public required string Image { get; init; }
    public List<string>? Command { get; init; }
    public List<string>? Args { get; init; }
    public string? WorkingDir { get; init; }
    public List<EnvVar>? Env { get; init; }
    public List<ContainerPortSpec>? Ports { get; init; }
    public ResourceRequirements? Resources { get; init; }
    public Probe? ReadinessProbe { get; init; }
    public Probe? StartupProbe { get; init; }
    public string? ImagePullPolicy { get; init; }
    public List<VolumeMount>? VolumeMounts { get; init; }
}

internal sealed record EnvVar(string Name, string Value);

internal sealed record ContainerPortSpec(int ContainerPort, string Protocol);

internal sealed record ResourceRequirements(Dictionary<string, string>? Limits, Dictionary<string, string>? Requests);

internal sealed record Probe(ExecAction Exec, int InitialDelaySeconds, int PeriodSeconds, int TimeoutSeconds, int FailureThreshold);

internal sealed record ExecAction(List<string> Command);

internal sealed record PodStatus
{
    public string? Phase { get; init; }
    public string? Reason { get; init; }
    public string? Message { get; init; }
    public DateTimeOffset? StartTime { get; init; }
    public List<PodCondition>? Conditions { get; init; }
    public List<ContainerStatus>? ContainerStatuses { get; init; }
}

internal sealed record PodCondition(string Type, string Status);

internal sealed record ContainerStatus(string Name, bool Ready, ContainerState? State);

internal sealed record ContainerState(ContainerStateWaiting? Waiting, ContainerStateTerminated? Terminated);

internal sealed record ContainerStateWaiting(string? Reason, string? Message);

internal sealed record ContainerStateTerminated(int ExitCode, string? Reason);

internal sealed record KubeService
{
    public string ApiVersion { get; init; } = "v1";
    public string Kind { get; init; } = "Service";
    public required ObjectMeta Metadata { get; init; }
    public required KubeServiceSpec Spec { get; init; }
}

internal sealed record KubeServiceSpec
{
    public Dictionary<string, string>? Selector { get; init; }
    public List<ServicePort>? Ports { get; init; }

    /// <summary>Allocated by the server and immutable: carried over unchanged when a Service is replaced.</summary>
    public string? ClusterIP { get; init; }
}

internal sealed record ServicePort(string Name, string Protocol, int Port, int TargetPort);

internal sealed record Namespace(ObjectMeta Metadata)
{
    public string ApiVersion { get; init; } = "v1";
    public string Kind { get; init; } = "Namespace";
}

internal sealed record DeleteOptions(long GracePeriodSeconds)
{
    public string ApiVersion { get; init; } = "v1";
    public string Kind { get; init; } = "DeleteOptions";
}

/// <summary>A failed call's body (<c>kind: Status</c>): reason (AlreadyExists, Conflict, NotFound, Invalid, Expired…) and message.</summary>
internal sealed record StatusBody(string? Kind, string? Status, string? Message, string? Reason, int Code);

internal sealed record WatchEvent(string Type, JsonElement Object);

internal static class KubeJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}
