using Nanokit.Core.Diagnostics;
using Nanokit.Core.Model;

namespace Nanokit.Core.Config;

/// <summary>Per-load state shared by the readers: where the project lives, variables, and facts gathered for cross-service checks.</summary>
internal sealed class LoadContext(string projectDirectory, IReadOnlyDictionary<string, string> variables, ProjectLoadOptions options)
{
    // An env_file is read and parsed once per load however many services name it, so a file named by every
    // service of a large project costs one read, and its errors are reported once.
    private readonly Dictionary<string, (IReadOnlyList<KeyValuePair<string, string>>? Entries, string? Problem)> _envFiles = new(StringComparer.Ordinal);
    private long _envFileBytes;

    public string ProjectDirectory { get; } = projectDirectory;

    /// <summary>.env values overlaid by the shell environment: what interpolation sees.</summary>
    public IReadOnlyDictionary<string, string> Variables { get; } = variables;

    public Func<string, string?> Lookup => name => Variables.TryGetValue(name, out var v) ? v : null;

    public LoadLimits Limits { get; } = options.Limits;

    /// <summary>True for <c>down</c>, which removes whatever is deployed and so accepts a project without services.</summary>
    public bool AllowNoServices { get; } = options.AllowNoServices;

    public List<(string Name, ConfigNode Node)> NamedVolumeUses { get; } = [];

    /// <summary>Where each service mounts a host path (a bind mount): refused by runtime kubernetes.</summary>
    public List<(string Service, SourceLocation Location)> BindMountSites { get; } = [];

    /// <summary>Per service, the container-only keys it sets and where: refused by a runtime that cannot honour them.</summary>
    public Dictionary<string, List<(string Key, SourceLocation Location)>> ContainerKeySites { get; } = new(StringComparer.Ordinal);

    /// <summary>Per service, where a post_start or pre_stop hook sets more than its command (user, privileged, working_dir, environment): refused by runtime kubernetes.</summary>
    public Dictionary<string, List<(string Key, SourceLocation Location)>> LifecycleHookSites { get; } = new(StringComparer.Ordinal);

    /// <summary>Per service, where its hooks that run on the host are written (run_on: host): refused by runtime kubernetes.</summary>
    public Dictionary<string, List<(string Key, SourceLocation Location)>> HookSites { get; } = new(StringComparer.Ordinal);

    /// <summary>Per service, the image keys beyond those (image, ports, volumes, labels…) it sets and where: refused by runtime local.</summary>
    public Dictionary<string, List<(string Key, SourceLocation Location)>> ImageKeySites { get; } = new(StringComparer.Ordinal);

    /// <summary>(service, network key) for each network a service joins: each must be declared at the top level (or be "default").</summary>
    public List<(string Service, ScalarNode Network)> NetworkUses { get; } = [];

    public List<(string Service, ScalarNode Source)> SecretUses { get; } = [];

    public List<(string Service, ScalarNode Source)> ConfigUses { get; } = [];

    /// <summary>Where a service asks for deploy.resources.reservations.cpus, which Docker cannot reserve.</summary>
    public Dictionary<string, SourceLocation> ReservedCpuSites { get; } = new(StringComparer.Ordinal);

    /// <summary>Located warnings: deprecated forms that still load.</summary>
    public List<ConfigError> Warnings { get; } = [];

    public Dictionary<string, List<(PortMapping Port, SourceLocation Location)>> PortSites { get; } = new(StringComparer.Ordinal);

    /// <summary>Port mappings read so far, ranges expanded; past <see cref="LoadLimits.PublishedPorts"/> no more services are read.</summary>
    public int PublishedPorts { get; set; }

    /// <summary>
    /// The entries of the env_file at <paramref name="fullPath"/>; both null when it does not exist, or a problem
    /// (not a regular file, too large) that names no content. Syntax errors inside it go to <paramref name="errors"/>.
    /// </summary>
    public (IReadOnlyList<KeyValuePair<string, string>>? Entries, string? Problem) EnvFile(string fullPath, List<ConfigError> errors)
    {
        if (!_envFiles.TryGetValue(fullPath, out var read))
        {
            // Many distinct paths can name one large file (symlinks, /proc/self/cwd/...): the total is bounded too.
            var (text, problem) = _envFileBytes < Limits.EnvFilesBytes
                ? Limits.Read(fullPath, Limits.EnvFileBytes)
                : (null, $"the env_files of the project already hold {LoadLimits.Bytes(Limits.EnvFilesBytes)}, the most a project may read");
            _envFileBytes += text?.Length ?? 0;
            var entries = text is null ? null : DotEnv.Parse(fullPath, text, Lookup, errors);

            // More variables than a service may have can only fail later; dropping them keeps the cache small.
            if (entries is { Count: var count } && count > Limits.EnvironmentEntries)
            {
                (entries, problem) = (null, $"the file sets {count} variables; a service may have at most {Limits.EnvironmentEntries}");
            }

            read = (entries, problem);
            _envFiles[fullPath] = read;
        }

        return read;
    }
}
