using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
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

    /// <summary>Compose's default network of a project.</summary>
    public static string ProjectNetwork(string project) => project + "_default";

    public static bool UsesProjectNetwork(ServiceSpec service) => service.NetworkMode is null && service.Networks.IsEmpty;

    /// <summary>Whether a container (its name as the API reports it, with a leading slash) holds the slot its labels name.</summary>
    public static bool HoldsSlot(string? containerName, string project, string service, int replica) =>
        containerName is not null && containerName.AsSpan().TrimStart('/').SequenceEqual(ContainerName(project, service, replica));

    /// <summary>Compose's naming for named volumes: project-scoped, so two projects never share one by accident.</summary>
    public static string VolumeName(string project, string volume) => $"{project}_{volume}";

    /// <summary>Docker's rule for container names, which every part of ours must satisfy.</summary>
    public static bool IsValidNamePart(string name) =>
        name.Length > 0 && char.IsAsciiLetterOrDigit(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-');

    /// <summary>The replica's container; <paramref name="successorOf"/> is the container a start-first replacement takes over from.</summary>
    public static ContainerCreateRequest For(ReplicaSpec replica, string? successorOf = null)
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

        var primary = Networks(replica.Project.Name, service).FirstOrDefault();
        return Base(replica.Project, service) with
        {
            Labels = labels,
            NetworkingConfig = primary is null
                ? null
                : new NetworkingConfig(new Dictionary<string, EndpointSettings>(StringComparer.Ordinal) { [primary.Name] = Endpoint(service, primary.Attachment) }),
            Healthcheck = Health(service.Healthcheck),
            StopTimeout = (int)Math.Ceiling(service.StopGracePeriod.TotalSeconds),
        };
    }

    /// <summary>A one-off container running <paramref name="command"/> with the service's image, environment and mounts.</summary>
    public static ContainerCreateRequest ForHook(ProjectRef project, ServiceSpec service, ImmutableArray<string> command) =>
        Base(project, service) with
        {
            Entrypoint = [],
            Cmd = command,
            Labels = new Dictionary<string, string>(StringComparer.Ordinal) { [Project] = project.Name, [Hook] = service.Name },
        };

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
        return JsonSerializer.Serialize(service with { Environment = redacted }, AppliedJson.Default.ServiceSpec);
    }

    private static ContainerCreateRequest Base(ProjectRef project, ServiceSpec service)
    {
        var binds = new List<string>();
        var anonymous = new Dictionary<string, EmptyObject>(StringComparer.Ordinal);
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
                    anonymous[volume.Target] = EmptyObject.Instance;
                    break;
                default:
                    throw new ArgumentException($"volume type '{volume.Type}' for '{volume.Target}' is not supported by the docker runtime (bind, volume)");
            }
        }

        var exposed = new Dictionary<string, EmptyObject>(StringComparer.Ordinal);
        var bindings = new Dictionary<string, List<PortBinding>>(StringComparer.Ordinal);
        foreach (var port in service.Ports)
        {
            var key = port.ContainerPort.ToString(CultureInfo.InvariantCulture) + "/" + port.Protocol;
            exposed[key] = EmptyObject.Instance;
            if (port.HostPort is { } hostPort)
            {
                if (!bindings.TryGetValue(key, out var list))
                {
                    bindings[key] = list = [];
                }

                list.Add(new PortBinding(port.HostIp ?? "", hostPort.ToString(CultureInfo.InvariantCulture)));
            }
        }

        foreach (var port in ExposedOnly(service.Container))
        {
            exposed[port] = EmptyObject.Instance;
        }

        var c = service.Container;
        return new ContainerCreateRequest
        {
            Hostname = c.Hostname,
            Domainname = c.Domainname,
            User = c.User,
            Tty = c.Tty ? true : null,
            OpenStdin = c.StdinOpen ? true : null,
            StopSignal = c.StopSignal,
            MacAddress = c.MacAddress,
            Image = service.Image,
            Cmd = service.Command,
            Entrypoint = service.Entrypoint,
            Env = Environment(service),
            WorkingDir = service.WorkingDir,
            Volumes = anonymous.Count > 0 ? anonymous : null,
            ExposedPorts = exposed.Count > 0 ? exposed : null,
            HostConfig = new HostConfig
            {
                Binds = binds.Count > 0 ? binds : null,
                PortBindings = bindings.Count > 0 ? bindings.ToDictionary(b => b.Key, b => (IReadOnlyList<PortBinding>)b.Value) : null,
                NetworkMode = service.NetworkMode ?? Networks(project.Name, service)[0].Name,
                NanoCpus = service.Limits?.Cpus is { } cpus ? (long)Math.Round(cpus * 1e9) : null,
                Memory = service.Limits?.MemoryBytes,
                PidsLimit = service.Limits?.Pids,
                MemoryReservation = service.Reservations?.MemoryBytes,
            }.WithOptions(c),
        };
    }

    private static HealthConfig? Health(HealthcheckSpec? check)
    {
        if (check is null)
        {
            return null;
        }

        if (check.Disabled || check.Test.IsDefaultOrEmpty || check.Test[0] == "NONE")
        {
            return new HealthConfig(["NONE"], 0, 0, 0, 0);
        }

        IReadOnlyList<string> test = check.Test[0] is "CMD" or "CMD-SHELL" ? check.Test : ["CMD", .. check.Test];
        return new HealthConfig(test, Nanos(check.Interval), Nanos(check.Timeout), check.Retries, Nanos(check.StartPeriod))
        {
            StartInterval = check.StartInterval > TimeSpan.Zero ? Nanos(check.StartInterval) : null,
        };
    }

    // Docker rejects intervals under 1 ms; zero means "the daemon's default".
    private static long Nanos(TimeSpan span) => span <= TimeSpan.Zero ? 0 : Math.Max(1_000_000, span.Ticks * 100);
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ServiceSpec))]
internal sealed partial class AppliedJson : JsonSerializerContext;
