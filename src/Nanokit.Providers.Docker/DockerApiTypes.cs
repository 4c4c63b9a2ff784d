using System.Text.Json.Serialization;

namespace Nanokit.Providers.Docker;

// The subset of the Docker Engine API (v1.41) this provider uses. Property names follow the API's PascalCase;
// nulls are omitted so the daemon applies its own defaults.

internal sealed record VersionResponse(string? ApiVersion, string? Version, string? MinAPIVersion);

internal sealed record ErrorResponse(string? Message);

internal sealed record IdResponse(string Id);

internal sealed record ContainerCreateRequest
{
    public string? Image { get; init; }
    public IReadOnlyList<string>? Cmd { get; init; }
    public IReadOnlyList<string>? Entrypoint { get; init; }
    public IReadOnlyList<string>? Env { get; init; }
    public string? WorkingDir { get; init; }
    public IReadOnlyDictionary<string, string>? Labels { get; init; }
    public HealthConfig? Healthcheck { get; init; }
    public int? StopTimeout { get; init; }
    public IReadOnlyDictionary<string, EmptyObject>? Volumes { get; init; }
    public IReadOnlyDictionary<string, EmptyObject>? ExposedPorts { get; init; }
    public HostConfig? HostConfig { get; init; }
    public NetworkingConfig? NetworkingConfig { get; init; }
    public string? Hostname { get; init; }
    public string? Domainname { get; init; }
    public string? User { get; init; }
    public bool? Tty { get; init; }
    public bool? OpenStdin { get; init; }
    public string? StopSignal { get; init; }
    public string? MacAddress { get; init; }
}

/// <summary>Docker's <c>{}</c> values in maps used as sets (ExposedPorts, Volumes).</summary>
internal sealed record EmptyObject
{
    public static readonly EmptyObject Instance = new();
}

internal sealed record PortBinding(string HostIp, string HostPort);

internal sealed record HealthConfig(IReadOnlyList<string> Test, long Interval, long Timeout, int Retries, long StartPeriod)
{
    /// <summary>API 1.44 and later; an older daemon ignores it.</summary>
    public long? StartInterval { get; init; }
}

internal sealed record HostConfig
{
    public IReadOnlyList<string>? Binds { get; init; }
    public IReadOnlyDictionary<string, IReadOnlyList<PortBinding>>? PortBindings { get; init; }
    public string? NetworkMode { get; init; }
    public long? NanoCpus { get; init; }
    public long? Memory { get; init; }
    public long? PidsLimit { get; init; }
    public long? MemoryReservation { get; init; }
    public IReadOnlyList<string>? CapAdd { get; init; }
    public IReadOnlyList<string>? CapDrop { get; init; }
    public bool? Privileged { get; init; }
    public bool? ReadonlyRootfs { get; init; }
    public bool? Init { get; init; }
    public long? ShmSize { get; init; }
    public int? OomScoreAdj { get; init; }
    public IReadOnlyList<string>? Dns { get; init; }
    public IReadOnlyList<string>? DnsSearch { get; init; }
    public IReadOnlyList<string>? SecurityOpt { get; init; }
    public IReadOnlyList<string>? GroupAdd { get; init; }
    public IReadOnlyDictionary<string, string>? Tmpfs { get; init; }
    public IReadOnlyList<DeviceMapping>? Devices { get; init; }
    public IReadOnlyList<string>? ExtraHosts { get; init; }
    public IReadOnlyDictionary<string, string>? Sysctls { get; init; }
    public IReadOnlyList<UlimitSetting>? Ulimits { get; init; }
    public LogConfig? LogConfig { get; init; }
    public string? PidMode { get; init; }
    public string? IpcMode { get; init; }
    public string? Runtime { get; init; }
}

internal sealed record DeviceMapping(string PathOnHost, string PathInContainer, string CgroupPermissions);

internal sealed record UlimitSetting(string Name, long Soft, long Hard);

internal sealed record LogConfig(string Type, IReadOnlyDictionary<string, string>? Config);

internal sealed record NetworkingConfig(IReadOnlyDictionary<string, EndpointSettings> EndpointsConfig);

internal sealed record EndpointSettings(IReadOnlyList<string>? Aliases)
{
    public EndpointIpam? IPAMConfig { get; init; }
}

internal sealed record EndpointIpam(string? IPv4Address, string? IPv6Address);

/// <summary>Attaches a created container to one more network (only one can be given at create before API 1.44).</summary>
internal sealed record NetworkConnectRequest(string Container, EndpointSettings EndpointConfig);

/// <summary><c>CheckDuplicate</c>: before API 1.44 the daemon happily creates a second network of the same name unless asked not to.</summary>
internal sealed record NetworkCreateRequest(string Name, string Driver, bool CheckDuplicate, IReadOnlyDictionary<string, string> Labels)
{
    public IReadOnlyDictionary<string, string>? Options { get; init; }
    public bool? Internal { get; init; }
    public bool? Attachable { get; init; }
    public bool? EnableIPv6 { get; init; }
}

internal sealed record NetworkSummary(string Id, string Name);

internal sealed record ContainerSummary(string Id, IReadOnlyList<string>? Names, string? State, IReadOnlyDictionary<string, string>? Labels);

internal sealed record ContainerInspect(string Id, string? Name, ContainerState? State, ContainerConfig? Config);

internal sealed record ContainerConfig(string? Image, IReadOnlyDictionary<string, string>? Labels);

internal sealed record ContainerState(string? Status, bool Running, int ExitCode, string? StartedAt, HealthState? Health);

internal sealed record HealthState(string? Status, int FailingStreak, IReadOnlyList<HealthLog>? Log);

internal sealed record HealthLog(int ExitCode, string? Output);

internal sealed record WaitResponse(long StatusCode, WaitError? Error);

internal sealed record WaitError(string? Message);

internal sealed record ExecCreateRequest(IReadOnlyList<string> Cmd, bool AttachStdout, bool AttachStderr, IReadOnlyList<string>? Env);

internal sealed record ExecStartRequest(bool Detach, bool Tty);

internal sealed record ExecInspect(bool Running, int? ExitCode, int Pid);

internal sealed record VolumeCreateRequest(string Name, IReadOnlyDictionary<string, string> Labels);

internal sealed record EventMessage(string? Type, string? Action, EventActor? Actor, long TimeNano)
{
    [JsonPropertyName("time")]
    public long Time { get; init; }
}

internal sealed record EventActor(string? ID, IReadOnlyDictionary<string, string>? Attributes);

/// <summary>
/// One line of a pull's progress stream. On layer lines <c>Id</c> is the layer's short digest (on "Pulling from" it is the tag);
/// <c>ProgressDetail</c> counts bytes while downloading and extracting, and is empty otherwise. A failure mid-pull is an <c>Error</c> line.
/// </summary>
internal sealed record PullProgress(string? Status, string? Id, PullProgressDetail? ProgressDetail, string? Error);

internal sealed record PullProgressDetail(long Current, long Total);

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(VersionResponse))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(IdResponse))]
[JsonSerializable(typeof(ContainerCreateRequest))]
[JsonSerializable(typeof(List<ContainerSummary>))]
[JsonSerializable(typeof(ContainerInspect))]
[JsonSerializable(typeof(WaitResponse))]
[JsonSerializable(typeof(ExecCreateRequest))]
[JsonSerializable(typeof(ExecStartRequest))]
[JsonSerializable(typeof(ExecInspect))]
[JsonSerializable(typeof(VolumeCreateRequest))]
[JsonSerializable(typeof(NetworkCreateRequest))]
[JsonSerializable(typeof(NetworkConnectRequest))]
[JsonSerializable(typeof(List<NetworkSummary>))]
[JsonSerializable(typeof(EventMessage))]
[JsonSerializable(typeof(PullProgress))]
[JsonSerializable(typeof(Dictionary<string, List<string>>))]
internal sealed partial class DockerJson : JsonSerializerContext;
