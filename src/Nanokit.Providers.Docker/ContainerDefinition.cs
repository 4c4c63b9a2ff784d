using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Docker.DotNet.Models;
using Nanokit.Core.Model;
using Nanokit.Runtime;

namespace Nanokit.Providers.Docker;

/// <summary>
/// Maps a <see cref="ServiceSpec"/> to a container-create request, and names and labels the result.
/// The applied definition travels in the <see cref="Applied"/> label (like kubectl's last-applied annotation) with the
/// values of secret environment variables replaced by null, so a label dump never shows a secret; the container's own
/// Env (visible to <c>docker inspect</c>) necessarily holds them, as with any Docker deployment.
/// No restart policy is set: Nanokit heals, Docker must not race it.
/// A service without <c>network_mode</c> joins its project's network (<see cref="ProjectNetwork"/>) under its own name as an
/// alias, as Compose does, so services reach each other by name.
/// A replica is the container with its slot's name (<see cref="ContainerName"/>): a start-first replacement carries the
/// slot's labels from its creation but is only in flight until it is renamed to that name (<see cref="SuccessorName"/>).
/// </summary>
internal static partial class ContainerDefinition
{
    public const string Project = "io.nanokit.project";
    public const string Service = "io.nanokit.service";
    public const string Replica = "io.nanokit.replica";
    public const string ConfigHash = "io.nanokit.config-hash";
    public const string Generation = "io.nanokit.generation";
    public const string Applied = "io.nanokit.applied";
    public const string Hook = "io.nanokit.hook";
    public const string Volume = "io.nanokit.volume";
    public const string Network = "io.nanokit.network";

    /// <summary>On a start-first replacement: the id of the container it replaces. Still there after the rename (labels are fixed).</summary>
    public const string SuccessorOf = "io.nanokit.successor-of";

    public static string ContainerName(ReplicaId id) => ContainerName(id.Project.Name, id.Service, id.Replica);

    public static string ContainerName(string project, string service, int replica) => $"{project}-{service}-{replica}";

    /// <summary>Where a start-first replacement runs until it takes over the slot. Never a replica's name: those end in a number.</summary>
    public static string SuccessorName(ReplicaId id) => ContainerName(id) + "-next";

    /// <summary>The image a service runs: its <c>image</c>, or for a build without one Compose's name for the built image.</summary>
    public static string ImageOf(string project, ServiceSpec service) => service.Image ?? $"{project}-{service.Name}";

    /// <summary>Compose's default network of a project.</summary>
    public static string ProjectNetwork(string project) => project + "_default";

    public static bool UsesProjectNetwork(ServiceSpec service) => service.NetworkMode is null && service.Networks.IsEmpty;

    /// <summary>
    /// Whether a container (its name as the API reports it, with a leading slash) holds the slot its labels name: it carries the
    /// slot's name, or the Compose <c>container_name</c> its <see cref="FixedName"/> label records.
    /// </summary>
    public static bool HoldsSlot(string? containerName, string project, string service, int replica, string? fixedName = null) =>
        containerName is not null && containerName.AsSpan().TrimStart('/').SequenceEqual(fixedName ?? ContainerName(project, service, replica));

    /// <summary>Compose's naming for named volumes: project-scoped, so two projects never share one by accident.</summary>
    public static string VolumeName(string project, string volume) => $"{project}_{volume}";

    /// <summary>Docker's rule for container names, which every part of ours must satisfy.</summary>
    public static bool IsValidNamePart(string name) =>
        name.Length > 0 && char.IsAsciiLetterOrDigit(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-');

    /// <summary>The first API version whose container create reads <c>Healthcheck.StartInterval</c>.</summary>
    public static readonly Version StartIntervalSince = new(1, 44);

    /// <summary>
    /// The replica's container, in the dialect of <paramref name="apiVersion"/> (the negotiated one; null when not yet known,
    /// which sends only what every supported version reads); <paramref name="successorOf"/> is the container a start-first
    /// replacement takes over from.
    /// </summary>
    public static CreateContainerParameters For(ReplicaSpec replica, Version? apiVersion, string? successorOf = null)
    {
        var service = replica.Service;
        var labels = new SortedDictionary<string, string>(service.Labels, StringComparer.Ordinal)
        {
            [Project] = replica.Project.Name,
            [Service] = service.Name,
            [Replica] = replica.Replica.ToString(CultureInfo.InvariantCulture),
            [ConfigHash] = replica.ConfigHash,
            [Generation] = replica.Generation.ToString(CultureInfo.InvariantCulture),
            [Applied] = Serialize(service),
        };
        if (successorOf is not null)
        {
            labels[SuccessorOf] = successorOf;
        }

        if (service.Container.ContainerName is { } fixedName)
        {
            labels[FixedName] = fixedName;
        }

        var primary = Networks(replica.Project.Name, service).FirstOrDefault();
        var create = Base(replica.Project, service);
        create.Labels = labels;
        if (primary is not null)
        {
            var endpoint = Endpoint(service, primary.Attachment);
            endpoint.MacAddress = service.Container.MacAddress ?? "";
            create.NetworkingConfig = new NetworkingConfig
            {
                EndpointsConfig = new Dictionary<string, EndpointSettings>(StringComparer.Ordinal) { [primary.Name] = endpoint },
            };
        }

        create.Healthcheck = Health(service.Healthcheck, apiVersion);
        create.StopTimeout = TimeSpan.FromSeconds(Math.Ceiling(service.StopGracePeriod.TotalSeconds));
        return create;
    }

    /// <summary>A one-off container running <paramref name="command"/> with the service's image, environment and mounts.</summary>
    public static CreateContainerParameters ForHook(ProjectRef project, ServiceSpec service, ImmutableArray<string> command)
    {
        var create = Base(project, service);
        create.Entrypoint = [];
        create.Cmd = [.. command];
        create.Labels = new Dictionary<string, string>(StringComparer.Ordinal) { [Project] = project.Name, [Hook] = service.Name };
        return create;
    }

    public static IEnumerable<string> NamedVolumes(ServiceSpec service) =>
        service.Volumes.Where(v => v.Type == "volume" && !string.IsNullOrEmpty(v.Source)).Select(v => v.Source!).Distinct(StringComparer.Ordinal);

    public static IReadOnlyList<string> Environment(ServiceSpec service)
    {
        var result = new List<string>();
        // A name holding '=' would be read back as another variable ("PATH=/x" would set PATH): it never enters.
        foreach (var (name, value) in service.Environment.Where(e => EnvironmentNames.IsValid(e.Key)))
        {
            // Compose semantics: a variable declared without a value passes the host's through, or stays unset.
            var resolved = value ?? System.Environment.GetEnvironmentVariable(name);
            if (resolved is not null)
            {
                result.Add(name + "=" + resolved);
            }
        }

        return result;
    }

    public static ServiceSpec? Deserialize(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(json, AppliedJson.Default.ServiceSpec);
        }
        catch (JsonException)
        {
            // Written by another Nanokit version: the planner falls back to the config hash alone.
            return null;
        }
    }

    public static bool IsSecret(ServiceSpec service, string name) =>
        service.SecretEnvironment.Contains(name)
        || name.Contains("PASSWORD", StringComparison.OrdinalIgnoreCase) || name.Contains("TOKEN", StringComparison.OrdinalIgnoreCase)
        || name.Contains("SECRET", StringComparison.OrdinalIgnoreCase) || name.Contains("KEY", StringComparison.OrdinalIgnoreCase);

    private static string Serialize(ServiceSpec service)
    {
        var redacted = service.Environment.ToImmutableSortedDictionary(
            e => e.Key, e => IsSecret(service, e.Key) ? null : e.Value, StringComparer.Ordinal);
        var container = service.Container;
        if (!container.PostStart.IsDefaultOrEmpty || !container.PreStop.IsDefaultOrEmpty)
        {
            container = container with { PostStart = Redact(service, container.PostStart), PreStop = Redact(service, container.PreStop) };
        }

        return JsonSerializer.Serialize(service with { Environment = redacted, Container = container }, AppliedJson.Default.ServiceSpec);
    }

    // A pre_stop run from this label gets a redacted variable as one declared without a value: the host's, if it has it.
    private static ImmutableArray<LifecycleHook> Redact(ServiceSpec service, ImmutableArray<LifecycleHook> hooks) =>
        [.. hooks.Select(h => h with
        {
            Environment = h.Environment.ToImmutableSortedDictionary(e => e.Key, e => IsSecret(service, e.Key) ? null : e.Value, StringComparer.Ordinal),
        })];

    private static CreateContainerParameters Base(ProjectRef project, ServiceSpec service)
    {
        var binds = new List<string>();
        var anonymous = new Dictionary<string, EmptyStruct>(StringComparer.Ordinal);
        foreach (var grant in service.Secrets.Concat(service.Configs))
        {
            // The loader refuses, on this runtime, every source that is not a file.
            binds.Add(grant.Definition!.File! + ":" + grant.Target + ":ro");
        }

        foreach (var volume in service.Volumes)
        {
            var mode = volume.ReadOnly ? ":ro" : "";
            switch (volume.Type)
            {
                case "bind" when !string.IsNullOrEmpty(volume.Source):
                    binds.Add(Path.GetFullPath(volume.Source, Path.GetFullPath(project.Directory)) + ":" + volume.Target + mode);
                    break;
                case "volume" when !string.IsNullOrEmpty(volume.Source):
                    binds.Add(VolumeName(project.Name, volume.Source) + ":" + volume.Target + mode);
                    break;
                case "volume":
                    anonymous[volume.Target] = default;
                    break;
                default:
                    throw new ArgumentException($"volume type '{volume.Type}' for '{volume.Target}' is not supported by the docker runtime (bind, volume)");
            }
        }

        var exposed = new Dictionary<string, EmptyStruct>(StringComparer.Ordinal);
        var bindings = new Dictionary<string, IList<PortBinding>>(StringComparer.Ordinal);
        foreach (var port in service.Ports)
        {
            var key = port.ContainerPort.ToString(CultureInfo.InvariantCulture) + "/" + port.Protocol;
            exposed[key] = default;
            if (port.HostPort is { } hostPort)
            {
                if (!bindings.TryGetValue(key, out var list))
                {
                    bindings[key] = list = [];
                }

                list.Add(new PortBinding { HostIP = port.HostIp ?? "", HostPort = hostPort.ToString(CultureInfo.InvariantCulture) });
            }
        }

        foreach (var port in ExposedOnly(service.Container))
        {
            exposed[port] = default;
        }

        var c = service.Container;
        return new CreateContainerParameters
        {
            Hostname = c.Hostname ?? "",
            Domainname = c.Domainname ?? "",
            User = c.User ?? "",
            Tty = c.Tty,
            OpenStdin = c.StdinOpen,
            StopSignal = c.StopSignal,
            Image = ImageOf(project.Name, service),
            Cmd = service.Command is { } command ? [.. command] : null!,
            Entrypoint = service.Entrypoint is { } entrypoint ? [.. entrypoint] : null!,
            Env = [.. Environment(service)],
            WorkingDir = service.WorkingDir ?? "",
            Volumes = anonymous.Count > 0 ? anonymous : null!,
            ExposedPorts = exposed.Count > 0 ? exposed : null,
            Platform = c.Platform,
            HostConfig = WithOptions(new HostConfig
            {
                Binds = binds.Count > 0 ? binds : null!,
                PortBindings = bindings.Count > 0 ? bindings : null!,
                NetworkMode = service.NetworkMode ?? Networks(project.Name, service)[0].Name,
                NanoCPUs = service.Limits?.Cpus is { } cpus ? (long)Math.Round(cpus * 1e9) : 0,
                Memory = service.Limits?.MemoryBytes ?? 0,
                PidsLimit = service.Limits?.Pids,
                MemoryReservation = service.Reservations?.MemoryBytes ?? 0,
            }, c),
        };
    }

    private static HealthcheckConfig? Health(HealthcheckSpec? check, Version? apiVersion)
    {
        if (check is null)
        {
            return null;
        }

        if (check.Disabled || check.Test.IsDefaultOrEmpty || check.Test[0] == "NONE")
        {
            return new HealthcheckConfig { Test = ["NONE"] };
        }

        return new HealthcheckConfig
        {
            Test = check.Test[0] is "CMD" or "CMD-SHELL" ? [.. check.Test] : ["CMD", .. check.Test],
            Interval = Span(check.Interval),
            Timeout = Span(check.Timeout),
            Retries = check.Retries,
            StartPeriod = Span(check.StartPeriod),
            // API 1.44 and later: an older dialect has no such field, so it is not sent (Nanokit's own readiness probes still
            // honour it, which is what gates dependents).
            StartInterval = check.StartInterval > TimeSpan.Zero && apiVersion >= StartIntervalSince ? Span(check.StartInterval) : null,
        };
    }

    // Docker rejects intervals under 1 ms; zero means "the daemon's default".
    private static TimeSpan Span(TimeSpan span) => span <= TimeSpan.Zero ? TimeSpan.Zero : TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond, span.Ticks));
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ServiceSpec))]
internal sealed partial class AppliedJson : JsonSerializerContext;
