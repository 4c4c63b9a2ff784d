using System.Collections.Immutable;
using System.Globalization;

namespace Nanokit.Core.Model;

/// <summary>
/// The Compose service keys that configure the container itself (identity, privileges, kernel and resolver settings,
/// logging): a container runtime honours them, the local process runtime cannot. Absent keys keep Docker's defaults.
/// <see cref="Fields"/> is the one description of them that the config output, the config hash and the plan's causes share.
/// </summary>
public sealed record ContainerOptions
{
    public static readonly ContainerOptions None = new();

    public string? ContainerName { get; init; }
    public string? Hostname { get; init; }
    public string? Domainname { get; init; }
    public string? User { get; init; }
    public string? Platform { get; init; }

    /// <summary>Compose's <c>runtime:</c> string: the OCI runtime (runc, runsc…).</summary>
    public string? OciRuntime { get; init; }
    public string? StopSignal { get; init; }
    public string? Pid { get; init; }
    public string? Ipc { get; init; }
    public string? MacAddress { get; init; }
    public bool StdinOpen { get; init; }
    public bool Tty { get; init; }
    public bool Privileged { get; init; }
    public bool ReadOnly { get; init; }
    public bool? Init { get; init; }
    public long? ShmSize { get; init; }
    public int? OomScoreAdj { get; init; }
    public ImmutableArray<string> CapAdd { get; init; } = [];
    public ImmutableArray<string> CapDrop { get; init; } = [];
    public ImmutableArray<string> Dns { get; init; } = [];
    public ImmutableArray<string> DnsSearch { get; init; } = [];
    public ImmutableArray<string> SecurityOpt { get; init; } = [];
    public ImmutableArray<string> GroupAdd { get; init; } = [];

    /// <summary>Container ports made reachable from the project's networks only (never published), as <c>PORT/PROTOCOL</c>.</summary>
    public ImmutableArray<string> Expose { get; init; } = [];
    public ImmutableArray<string> Tmpfs { get; init; } = [];

    /// <summary>Device mappings, <c>HOST:CONTAINER[:PERMISSIONS]</c>.</summary>
    public ImmutableArray<string> Devices { get; init; } = [];

    /// <summary>Host-to-address entries for /etc/hosts, as <c>HOST:IP</c>.</summary>
    public ImmutableArray<string> ExtraHosts { get; init; } = [];
    public ImmutableSortedDictionary<string, string> Sysctls { get; init; } = ImmutableSortedDictionary<string, string>.Empty;
    public ImmutableSortedDictionary<string, Ulimit> Ulimits { get; init; } = ImmutableSortedDictionary<string, Ulimit>.Empty;
    public LoggingSpec? Logging { get; init; }

    /// <summary>Compose's <c>post_start</c>: run in each replica, in order, after it starts.</summary>
    public ImmutableArray<LifecycleHook> PostStart { get; init; } = [];

    /// <summary>Compose's <c>pre_stop</c>: run in each running replica, in order, before it is stopped (stop, down, recreate).</summary>
    public ImmutableArray<LifecycleHook> PreStop { get; init; } = [];

    /// <summary>
    /// Each key that differs from its default, in Compose's spelling and alphabetical order, with its value as
    /// Compose's config shows it: a string, a bool, a long, a list of those, or a list of key/value pairs.
    /// </summary>
    public IEnumerable<KeyValuePair<string, object?>> Fields()
    {
        var fields = new List<KeyValuePair<string, object?>>();
        List(fields, "cap_add", CapAdd);
        List(fields, "cap_drop", CapDrop);
        Text(fields, "container_name", ContainerName);
        List(fields, "devices", Devices);
        List(fields, "dns", Dns);
        List(fields, "dns_search", DnsSearch);
        Text(fields, "domainname", Domainname);
        List(fields, "expose", Expose);
        List(fields, "extra_hosts", ExtraHosts);
        List(fields, "group_add", GroupAdd);
        Text(fields, "hostname", Hostname);
        if (Init is { } init)
        {
            fields.Add(new("init", init));
        }

        Text(fields, "ipc", Ipc);
        if (Logging is { } logging)
        {
            var map = new List<KeyValuePair<string, object?>>();
            if (logging.Driver is not null)
            {
                map.Add(new("driver", logging.Driver));
            }

            if (!logging.Options.IsEmpty)
            {
                map.Add(new("options", logging.Options.Select(o => new KeyValuePair<string, object?>(o.Key, o.Value)).ToList()));
            }

            fields.Add(new("logging", map));
        }

        Text(fields, "mac_address", MacAddress);
        if (OomScoreAdj is { } oom)
        {
            fields.Add(new("oom_score_adj", (long)oom));
        }

        Text(fields, "pid", Pid);
        Text(fields, "platform", Platform);
        Hooks(fields, "post_start", PostStart);
        Hooks(fields, "pre_stop", PreStop);
        Flag(fields, "privileged", Privileged);
        Flag(fields, "read_only", ReadOnly);
        Text(fields, "runtime", OciRuntime);
        List(fields, "security_opt", SecurityOpt);
        if (ShmSize is { } shm)
        {
            fields.Add(new("shm_size", shm.ToString(CultureInfo.InvariantCulture)));
        }

        Flag(fields, "stdin_open", StdinOpen);
        Text(fields, "stop_signal", StopSignal);
        if (!Sysctls.IsEmpty)
        {
            fields.Add(new("sysctls", Sysctls.Select(s => new KeyValuePair<string, object?>(s.Key, s.Value)).ToList()));
        }

        List(fields, "tmpfs", Tmpfs);
        Flag(fields, "tty", Tty);
        if (!Ulimits.IsEmpty)
        {
            fields.Add(new("ulimits", Ulimits.Select(u => new KeyValuePair<string, object?>(u.Key, new List<KeyValuePair<string, object?>>
            {
                new("hard", u.Value.Hard),
                new("soft", u.Value.Soft),
            })).ToList()));
        }

        Text(fields, "user", User);
        return fields;
    }

    private static void Text(List<KeyValuePair<string, object?>> fields, string key, string? value)
    {
        if (value is not null)
        {
            fields.Add(new(key, value));
        }
    }

    private static void Hooks(List<KeyValuePair<string, object?>> fields, string key, ImmutableArray<LifecycleHook> hooks)
    {
        if (!hooks.IsDefaultOrEmpty)
        {
            fields.Add(new(key, hooks.Select(h => (object?)h.Fields()).ToList()));
        }
    }

    private static void Flag(List<KeyValuePair<string, object?>> fields, string key, bool value)
    {
        if (value)
        {
            fields.Add(new(key, true));
        }
    }

    private static void List(List<KeyValuePair<string, object?>> fields, string key, ImmutableArray<string> values)
    {
        if (!values.IsDefaultOrEmpty)
        {
            fields.Add(new(key, values.Cast<object?>().ToList()));
        }
    }
}

/// <summary>A resource limit of the container's processes (<c>ulimits</c>); a single number sets both.</summary>
public sealed record Ulimit(long Soft, long Hard);

/// <summary>Compose <c>logging</c>: the container's log driver and its options.</summary>
public sealed record LoggingSpec(string? Driver, ImmutableSortedDictionary<string, string> Options);
