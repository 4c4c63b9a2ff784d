using Nanokit.Core.Diagnostics;
using Nanokit.Core.Model;

namespace Nanokit.Core.Config;

/// <summary>Per-load state shared by the readers: where the project lives, variables, and facts gathered for cross-service checks.</summary>
internal sealed class LoadContext(string projectDirectory, IReadOnlyDictionary<string, string> variables, ProjectLoadOptions options)
{
    // An env_file is read and parsed once per load however many services name it, so a file named by every
    // service of a large project costs one read, and its errors are reported once.
    private readonly Dictionary<string, (IReadOnlyList<KeyValuePair<string, string>>? Entries, string? Problem)> _envFiles = new(StringComparer.Ordinal);

    public string ProjectDirectory { get; } = projectDirectory;

    /// <summary>.env values overlaid by the shell environment: what interpolation sees.</summary>
    public IReadOnlyDictionary<string, string> Variables { get; } = variables;

    public Func<string, string?> Lookup => name => Variables.TryGetValue(name, out var v) ? v : null;

    public LoadLimits Limits { get; } = options.Limits;

    /// <summary>True for <c>down</c>, which removes whatever is deployed and so accepts a project without services.</summary>
    public bool AllowNoServices { get; } = options.AllowNoServices;

    public List<(string Name, ConfigNode Node)> NamedVolumeUses { get; } = [];

    public Dictionary<string, List<(PortMapping Port, SourceLocation Location)>> PortSites { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// The entries of the env_file at <paramref name="fullPath"/>; both null when it does not exist, or a problem
    /// (not a regular file, too large) that names no content. Syntax errors inside it go to <paramref name="errors"/>.
    /// </summary>
    public (IReadOnlyList<KeyValuePair<string, string>>? Entries, string? Problem) EnvFile(string fullPath, List<ConfigError> errors)
    {
        if (!_envFiles.TryGetValue(fullPath, out var read))
        {
            var (text, problem) = BoundedFile.Read(fullPath, Limits.EnvFileBytes);
            read = (text is null ? null : DotEnv.Parse(fullPath, text, Lookup, errors), problem);
            _envFiles[fullPath] = read;
        }

        return read;
    }
}
