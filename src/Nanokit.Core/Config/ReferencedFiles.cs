using Nanokit.Core.Diagnostics;

namespace Nanokit.Core.Config;

/// <summary>
/// Reads the files that <c>include</c> and <c>extends: {file}</c> name, through the same <see cref="BoundedFile"/>
/// size limit as the main file, and bounds how many distinct files one load may read.
/// </summary>
internal sealed class ReferencedFiles(ProjectLoadOptions options, List<ConfigError> errors)
{
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    /// <summary>
    /// The interpolated top-level mapping of <paramref name="fullPath"/>, or null after recording why not at
    /// <paramref name="at"/> (the key that named the file).
    /// </summary>
    public MappingNode? Read(string fullPath, ConfigNode at, string what, Func<string, string?> lookup)
    {
        if (_read.Add(fullPath) && _read.Count > options.Limits.ReferencedFiles)
        {
            errors.Add(new ConfigError(at.Location, $"{what}: the project already reads {options.Limits.ReferencedFiles} files through include and extends, the most it may"));
            return null;
        }

        var (text, problem) = options.Limits.Read(fullPath, options.Limits.FileBytes);
        if (text is null)
        {
            errors.Add(new ConfigError(at.Location, $"{what}: {problem ?? "file not found"} (resolved to {fullPath})"));
            return null;
        }

        var shown = Shown(fullPath);
        var root = YamlReader.Read(shown, text, errors);
        switch (root)
        {
            case null:
                return null;
            case MappingNode map:
                return (MappingNode)TreeInterpolator.Apply(map, lookup, errors);
            case ScalarNode { IsNull: true }:
                errors.Add(new ConfigError(at.Location, $"{what}: the file {shown} is empty"));
                return null;
            default:
                errors.Add(new ConfigError(root.Location, $"expected a mapping at the top level, got {root.KindName}"));
                return null;
        }
    }

    // Errors inside a referenced file name it as the user would: relative to where nanokit runs when it is below it.
    private string Shown(string fullPath)
    {
        var relative = Path.GetRelativePath(Path.GetFullPath(options.WorkingDirectory), fullPath);
        return relative.StartsWith("..", StringComparison.Ordinal) ? fullPath : relative;
    }
}
