using System.Globalization;
using System.Text;
using System.Text.Json;
using Nanokit.Core.Model;
using Nanokit.Runtime;

namespace Nanokit.Providers.Kubernetes;

/// <summary>
/// How a replica is written as a Pod and a service as a Service, and read back: names, labels, annotations and the
/// Compose keys runtime kubernetes honours (image, entrypoint/command, working_dir, environment, ports, labels,
/// deploy.resources, pull_policy, healthcheck, stop_grace_period; secrets and configs through <see cref="MountedFiles"/>). Validation refuses the others where they are written.
/// </summary>
internal static class PodDefinition
{
    public const string ManagedBy = "app.kubernetes.io/managed-by";
    public const string Project = "nanokit.io/project";
    public const string ServiceLabel = "nanokit.io/service";
    public const string Replica = "nanokit.io/replica";
    public const string ConfigHash = "nanokit.io/config-hash";
    public const string Generation = "nanokit.io/generation";

    /// <summary>
    /// The commands of the service's Compose post_start and pre_stop hooks, each a JSON array of argv arrays: a start and a
    /// delete know the replica's id only, so the pod carries them.
    /// </summary>
    public const string PostStart = "nanokit.io/post-start";

    /// <inheritdoc cref="PostStart"/>
    public const string PreStop = "nanokit.io/pre-stop";

    /// <summary>On a one-off hook pod, the service it runs for; such a pod has no service or replica label, so it is never observed as a replica.</summary>
    public const string HookLabel = "nanokit.io/hook";

    /// <summary>The project's namespace: its name as a DNS-1123 label (lower case, '-' for anything else).</summary>
    public static string Namespace(string project) => DnsLabel(project);

    /// <summary>The replica's pod: unique in the project's namespace, stable across runs so that a retry finds it.</summary>
    public static string PodName(string service, int replica) => $"{DnsLabel(service)}-{replica}";

    /// <summary>The service's Service, so that other pods reach it by its Compose name, as on a Compose network (a digit first gets "s-").</summary>
    public static string ServiceName(string service)
    {
        var name = DnsLabel(service);
        return char.IsAsciiLetter(name[0]) ? name : "s-" + name;
    }

    /// <summary>
    /// Whether the pod is the replica its name says: Nanokit's, of this project, with the service and replica labels its name
    /// was made from. A pod relabelled by hand is not: it has left the project (as a pod that a ReplicaSet's selector no
    /// longer matches leaves the ReplicaSet), and the replica is missing.
    /// </summary>
    public static bool Identifies(Pod pod, ReplicaId replica) =>
        pod.Metadata.Labels is { } labels
        && labels.GetValueOrDefault(ManagedBy) == "nanokit"
        && labels.GetValueOrDefault(Project) == replica.Project.Name
        && labels.GetValueOrDefault(ServiceLabel) == replica.Service
        && labels.GetValueOrDefault(Replica) == replica.Replica.ToString(CultureInfo.InvariantCulture)
        && pod.Metadata.Name == PodName(replica.Service, replica.Replica);

    /// <summary>The selector of every pod of a project, or of one service of it.</summary>
    public static string Selector(string project, string? service = null) =>
        Uri.EscapeDataString($"{ManagedBy}=nanokit,{Project}={project}" + (service is null ? "" : $",{ServiceLabel}={service}"));

    public static Pod For(ReplicaSpec replica)
    {
        var service = replica.Service;
        var annotations = service.Labels.ToDictionary(l => l.Key, l => l.Value, StringComparer.Ordinal);
        annotations[ConfigHash] = replica.ConfigHash;
        annotations[Generation] = replica.Generation.ToString(CultureInfo.InvariantCulture);
        foreach (var (key, hooks) in new[] { (PostStart, service.Container.PostStart), (PreStop, service.Container.PreStop) })
        {
            if (!hooks.IsDefaultOrEmpty)
            {
                annotations[key] = JsonSerializer.Serialize(hooks.Select(h => h.Command.ToArray()).ToArray(), KubeJson.Options);
            }
        }
        return new Pod
        {
            Metadata = new ObjectMeta
            {
                Name = PodName(service.Name, replica.Replica),
                Namespace = Namespace(replica.Project.Name),
                Labels = new Dictionary<string, string>(StringComparer.Ordinal)
                {
                    [ManagedBy] = "nanokit",
                    [Project] = replica.Project.Name,
                    [ServiceLabel] = service.Name,
                    [Replica] = replica.Replica.ToString(CultureInfo.InvariantCulture),
                },
                Annotations = annotations,
            },
            Spec = new PodSpec
            {
                // The reconciler restarts replicas itself (restart:, heal): an exit must show as the pod's end, not be hidden by the kubelet.
                RestartPolicy = "Never",
                TerminationGracePeriodSeconds = Seconds(service.StopGracePeriod),
                Containers = [Container(service)],
                Volumes = Volumes(service),
            },
        };
    }

    /// <summary>The selector of the service's one-off hook pods.</summary>
    public static string HookSelector(string project, string service) =>
        Uri.EscapeDataString($"{ManagedBy}=nanokit,{Project}={project},{HookLabel}={service}");

    /// <summary>
    /// A prestart hook's one-off pod, as Docker's runtime runs a one-off container: the service's image, env, working_dir and
    /// mounts, the hook's command in place of entrypoint and command, no probe or ports, and restartPolicy Never so that
    /// its exit ends it.
    /// </summary>
    public static Pod ForHook(string project, ServiceSpec service, string name, IReadOnlyList<string> command) => new()
    {
        Metadata = new ObjectMeta
        {
            Name = name,
            Namespace = Namespace(project),
            Labels = new Dictionary<string, string>(StringComparer.Ordinal) { [ManagedBy] = "nanokit", [Project] = project, [HookLabel] = service.Name },
        },
        Spec = new PodSpec
        {
            RestartPolicy = "Never",
            TerminationGracePeriodSeconds = Seconds(service.StopGracePeriod),
            Containers = [Container(service) with { Command = [.. command], Args = null, Ports = null, ReadinessProbe = null }],
            Volumes = Volumes(service),
        },
    };

    public static KubeService ServiceFor(string project, ServiceSpec service) => new()
    {
        Metadata = new ObjectMeta
        {
            Name = ServiceName(service.Name),
            Namespace = Namespace(project),
            Labels = new Dictionary<string, string>(StringComparer.Ordinal) { [ManagedBy] = "nanokit", [Project] = project, [ServiceLabel] = service.Name },
        },
        Spec = new KubeServiceSpec
        {
            Selector = new Dictionary<string, string>(StringComparer.Ordinal) { [ManagedBy] = "nanokit", [Project] = project, [ServiceLabel] = service.Name },
            Ports = service.Ports
                .Select(p => (Port: p.HostPort ?? p.ContainerPort, Target: p.ContainerPort, Protocol: p.Protocol.ToUpperInvariant()))
                .Distinct()
                .Select(p => new ServicePort($"{p.Protocol.ToLowerInvariant()}-{p.Port}", p.Protocol, p.Port, p.Target))
                .ToList(),
        },
    };

    /// <summary>The hook commands recorded on the pod under <paramref name="annotation"/>; none when it has none or the annotation does not read (edited by hand).</summary>
    public static string[][] HookCommands(Pod pod, string annotation)
    {
        try
        {
            return pod.Metadata.Annotations?.GetValueOrDefault(annotation) is { } json ? JsonSerializer.Deserialize<string[][]>(json, KubeJson.Options) ?? [] : [];
        }
        catch (JsonException)
        {
            return [];
        }
    }

    /// <summary>The replica a pod holds, or null for a pod that is not one of Nanokit's or is being deleted (its slot is free).</summary>
    public static ObservedReplica? Observed(Pod pod)
    {
        var labels = pod.Metadata.Labels;
        if (pod.Metadata.DeletionTimestamp is not null || labels is null
            || !labels.TryGetValue(ServiceLabel, out var service)
            || !labels.TryGetValue(Replica, out var replicaText) || !int.TryParse(replicaText, CultureInfo.InvariantCulture, out var replica)
            || pod.Metadata.Name != PodName(service, replica))
        {
            return null;
        }

        var annotations = pod.Metadata.Annotations ?? [];
        var generation = annotations.TryGetValue(Generation, out var g) && long.TryParse(g, CultureInfo.InvariantCulture, out var parsed) ? parsed : 0;
        var exit = ExitCode(pod);
        return new ObservedReplica(
            service,
            replica,
            annotations.GetValueOrDefault(ConfigHash, ""),
            exit is null ? ReplicaState.Running : ReplicaState.Exited,
            exit,
            pod.Metadata.Uid,
            generation);
    }

    /// <summary>The exit code of a pod that has ended (phase Succeeded or Failed), else null.</summary>
    public static int? ExitCode(Pod pod)
    {
        var phase = pod.Status?.Phase;
        if (phase is not ("Succeeded" or "Failed"))
        {
            return null;
        }

        return pod.Status?.ContainerStatuses?.FirstOrDefault()?.State?.Terminated?.ExitCode ?? (phase == "Succeeded" ? 0 : 1);
    }

    /// <summary>Health from the Ready condition, which the kubelet sets from the readinessProbe the healthcheck became.</summary>
    public static HealthStatus Health(Pod? pod)
    {
        if (pod is null || pod.Metadata.DeletionTimestamp is not null || ExitCode(pod) is not null)
        {
            return HealthStatus.Unhealthy;
        }

        if (pod.Spec.Containers.All(c => c.ReadinessProbe is null))
        {
            return HealthStatus.None;
        }

        return pod.Status?.Conditions?.Any(c => c is { Type: "Ready", Status: "True" }) == true ? HealthStatus.Healthy : HealthStatus.Starting;
    }

    /// <summary>Why a pod that waits will not start without someone changing something (a bad image), else null.</summary>
    public static string? Stuck(Pod pod) =>
        pod.Status?.ContainerStatuses?.Select(s => s.State?.Waiting)
            .FirstOrDefault(w => w?.Reason is "ErrImagePull" or "ImagePullBackOff" or "InvalidImageName" or "CreateContainerConfigError" or "CreateContainerError")
            is { } waiting ? $"{waiting.Reason}: {waiting.Message}" : null;

    private static Container Container(ServiceSpec service) => new()
    {
        Name = DnsLabel(service.Name),
        Image = service.Image!,
        Command = service.Entrypoint is { } entrypoint ? [.. entrypoint] : null,
        Args = service.Command is { } command ? [.. command] : null,
        WorkingDir = service.WorkingDir,
        Env = service.Environment.Where(e => e.Value is not null).Select(e => new EnvVar(e.Key, e.Value!)).ToList() is { Count: > 0 } env ? env : null,
        Ports = service.Ports.Select(p => new ContainerPortSpec(p.ContainerPort, p.Protocol.ToUpperInvariant())).Distinct().ToList() is { Count: > 0 } ports ? ports : null,
        Resources = Resources(service),
        ReadinessProbe = Readiness(service.Healthcheck),
        StartupProbe = Startup(service.Healthcheck),
        VolumeMounts = MountedFiles.Mounts(service).Concat(MountedVolumes.Mounts(service)).ToList() is { Count: > 0 } mounts ? mounts : null,
        ImagePullPolicy = service.PullPolicy switch
        {
            PullPolicy.Always => "Always",
            PullPolicy.Never => "Never",
            _ => "IfNotPresent",
        },
    };

    private static List<Volume>? Volumes(ServiceSpec service) =>
        MountedFiles.Volumes(service).Concat(MountedVolumes.Volumes(service)).ToList() is { Count: > 0 } volumes ? volumes : null;

    private static ResourceRequirements? Resources(ServiceSpec service)
    {
        static Dictionary<string, string>? Quantities(double? cpus, long? memory)
        {
            var map = new Dictionary<string, string>(StringComparer.Ordinal);
            if (cpus is { } c)
            {
                map["cpu"] = Math.Max(1, (long)Math.Round(c * 1000)).ToString(CultureInfo.InvariantCulture) + "m";
            }

            if (memory is { } m)
            {
                map["memory"] = m.ToString(CultureInfo.InvariantCulture);
            }

            return map.Count == 0 ? null : map;
        }

        var limits = Quantities(service.Limits?.Cpus, service.Limits?.MemoryBytes);
        var requests = Quantities(service.Reservations?.Cpus, service.Reservations?.MemoryBytes);
        return limits is null && requests is null ? null : new ResourceRequirements(limits, requests);
    }

    // Before the first success the readinessProbe only keeps Ready False, which is what Compose's starting state is; the
    // failures counted toward retries then happen in the startupProbe (below), so the readiness threshold is the one
    // Compose applies to a container that has been healthy.
    private static Probe? Readiness(HealthcheckSpec? check) =>
        Exec(check) is { } exec ? new Probe(exec, 0, Seconds(check!.Interval), Seconds(check.Timeout), Math.Max(1, check.Retries)) : null;

    // Compose's start_period: failures during it do not count, a success ends it at once. The kubelet's startupProbe holds
    // the readinessProbe back until it succeeds (and then runs it at once), and kills the container after failureThreshold
    // failures in a row — with restartPolicy Never the pod ends, which is Unhealthy. So it probes at start_interval (else
    // interval) for as long as Docker would wait before calling the container unhealthy: start_period, then retries
    // intervals. Without a start_period there is no startupProbe, as before: the first failures already count in Docker,
    // and a readinessProbe that never passes leaves the replica starting.
    private static Probe? Startup(HealthcheckSpec? check)
    {
        if (Exec(check) is not { } exec || check!.StartPeriod <= TimeSpan.Zero)
        {
            return null;
        }

        var period = Seconds(check.StartInterval > TimeSpan.Zero ? check.StartInterval : check.Interval);
        var patience = check.StartPeriod.TotalSeconds + (Math.Max(1, check.Retries) * Seconds(check.Interval));
        return new Probe(exec, 0, period, Seconds(check.Timeout), Math.Max(1, (int)Math.Ceiling(patience / period)));
    }

    private static ExecAction? Exec(HealthcheckSpec? check)
    {
        if (check is null || check.Disabled || check.Test.IsDefaultOrEmpty || check.Test[0] == "NONE")
        {
            return null;
        }

        return new ExecAction(check.Test[0] switch
        {
            "CMD-SHELL" => ["/bin/sh", "-c", string.Join(' ', check.Test.Skip(1))],
            "CMD" => [.. check.Test.Skip(1)],
            _ => [.. check.Test],
        });
    }

    private static int Seconds(TimeSpan span) => Math.Max(1, (int)Math.Ceiling(span.TotalSeconds));

    public static string DnsLabel(string name)
    {
        var label = new StringBuilder(name.Length);
        foreach (var c in name.ToLowerInvariant())
        {
            label.Append(char.IsAsciiLetterOrDigit(c) ? c : '-');
        }

        var text = label.ToString().Trim('-');
        return text.Length == 0 ? "x" : text.Length > 55 ? text[..55].TrimEnd('-') : text;
    }
}
