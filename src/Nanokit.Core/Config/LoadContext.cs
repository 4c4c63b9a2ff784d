using Nanokit.Core.Diagnostics;
using Nanokit.Core.Model;

namespace Nanokit.Core.Config;

/// <summary>Per-load state shared by the readers: where the project lives, variables, and facts gathered for cross-service checks.</summary>
internal sealed class LoadContext(string projectDirectory, IReadOnlyDictionary<string, string> variables, Func<string, string?> readFile)
{
    public string ProjectDirectory { get; } = projectDirectory;

    /// <summary>.env values overlaid by the shell environment: what interpolation sees.</summary>
    public IReadOnlyDictionary<string, string> Variables { get; } = variables;

    public Func<string, string?> Lookup => name => Variables.TryGetValue(name, out var v) ? v : null;

    /// <summary>Reads a file (env_file) or returns null when it does not exist.</summary>
    public Func<string, string?> ReadFile { get; } = readFile;

    public List<(string Name, ConfigNode Node)> NamedVolumeUses { get; } = [];

    public Dictionary<string, List<(PortMapping Port, SourceLocation Location)>> PortSites { get; } = new(StringComparer.Ordinal);
}
