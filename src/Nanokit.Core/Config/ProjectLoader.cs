using System.Collections.Immutable;
using Nanokit.Core.Diagnostics;
using Nanokit.Core.Model;

namespace Nanokit.Core.Config;

/// <summary>
/// Loads nanokit.yml the way Compose loads compose.yaml: read .env, interpolate each file on its own, merge the
/// files in -f order, overlay the selected <c>environments:</c> entry, read and validate the result. Every
/// problem found on the way is collected; one <see cref="ConfigException"/> carries them all.
/// </summary>
public static class ProjectLoader
{
    /// <summary>Discovery order when no -f is given: the first that exists is the base file.</summary>
    /// <summary>The file names looked for, in order, when no file is given (Compose's list, nanokit.yml first).</summary>
    public static IReadOnlyList<string> DefaultFileNames => DefaultFiles;

    internal static readonly string[] DefaultFiles =
        ["nanokit.yml", "nanokit.yaml", "compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml"];

    public static ProjectSpec Load(ProjectLoadOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var paths = options.Files.IsDefaultOrEmpty ? Discover(options.WorkingDirectory) : [.. options.Files];
        var documents = new List<(string Path, string Text)>(paths.Count);
        var errors = new List<ConfigError>();
        foreach (var path in paths)
        {
            var full = Path.GetFullPath(path, options.WorkingDirectory);
            var (text, problem) = BoundedFile.Read(full, options.Limits.FileBytes);
            if (text is not null)
            {
                documents.Add((path, text));
            }
            else
            {
                errors.Add(new ConfigError(new SourceLocation(path, 0, 0), problem ?? $"file not found (resolved to {full})"));
            }
        }

        if (errors.Count > 0)
        {
            throw new ConfigException(errors);
        }

        var dotEnvPath = Path.Combine(ProjectDirectory(documents, options), ".env");
        var (dotEnvText, dotEnvProblem) = BoundedFile.Read(dotEnvPath, options.Limits.EnvFileBytes);
        if (dotEnvProblem is not null)
        {
            throw new ConfigException([new ConfigError(new SourceLocation(dotEnvPath, 0, 0), dotEnvProblem)]);
        }

        return Parse(documents, options, dotEnvText);
    }

    public static ProjectSpec Parse(IReadOnlyList<(string Path, string Text)> documents, ProjectLoadOptions options, string? dotEnvText = null)
    {
        ArgumentNullException.ThrowIfNull(documents);
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<ConfigError>();
        var reader = new NodeReader(errors);
        var projectDirectory = ProjectDirectory(documents, options);
        var context = new LoadContext(projectDirectory, Variables(options, projectDirectory, dotEnvText, errors), options);

        ConfigNode merged = new MappingNode(new SourceLocation(documents.Count > 0 ? documents[0].Path : options.WorkingDirectory, 1, 1), []);
        ConfigNode? overlay = null;
        var knownEnvironments = new SortedSet<string>(StringComparer.Ordinal);
        var firstEnvironmentsKey = (SourceLocation?)null;
        var unusable = false;
        foreach (var (path, text) in documents)
        {
            var root = YamlReader.Read(path, text, errors);
            if (root is null)
            {
                unusable = true;
                continue;
            }

            // Compose refuses an empty file too: a crash-truncated file or a wrong -f must not read as "no services".
            if (root is ScalarNode { IsNull: true })
            {
                errors.Add(new ConfigError(new SourceLocation(path, 1, 1), "the file is empty (nothing but comments or null); a configuration needs a services: section"));
                unusable = true;
                continue;
            }

            if (root is not MappingNode map)
            {
                reader.Error(root, $"expected a mapping at the top level, got {root.KindName}");
                unusable = true;
                continue;
            }

            // Only the selected environment is interpolated: an overlay for another environment may require
            // variables that are legitimately unset here.
            var environments = map["environments"];
            if (environments is not null)
            {
                firstEnvironmentsKey ??= map.KeyNode("environments")!.Location;
                map = new MappingNode(map.Location, [.. map.Entries.Where(e => e.Key.Value != "environments")]);
                if (reader.Mapping(environments, "environments") is { } envMap)
                {
                    foreach (var (key, value) in envMap.Entries)
                    {
                        knownEnvironments.Add(key.Value);
                        if (value is MappingNode && key.Value == options.Environment)
                        {
                            var selected = TreeInterpolator.Apply(value, context.Lookup, errors);
                            overlay = overlay is null ? selected : Merge.Project(overlay, selected);
                        }
                        else if (value is not MappingNode and not ScalarNode { IsNull: true })
                        {
                            reader.Error(value, $"environments.{key.Value}: expected a mapping, got {value.KindName}");
                        }
                    }
                }
            }

            merged = Merge.Project(merged, TreeInterpolator.Apply(map, context.Lookup, errors));
        }

        // A file that is empty, unparsable or not a mapping says nothing about the project: checking what the
        // others hold would only add noise ("no services" after "the file is empty").
        if (unusable)
        {
            throw new ConfigException(Sort(errors, documents));
        }

        if (options.Environment is { } wanted && !knownEnvironments.Contains(wanted))
        {
            var location = firstEnvironmentsKey ?? merged.Location;
            errors.Add(new ConfigError(location, knownEnvironments.Count == 0
                ? $"unknown environment \"{wanted}\": the configuration defines no environments"
                : $"unknown environment \"{wanted}\"; known environments: {string.Join(", ", knownEnvironments)}"));
        }

        if (overlay is not null)
        {
            if (overlay is MappingNode overlayMap && overlayMap.KeyNode("environments") is { } nested)
            {
                reader.Error(nested, "an environment overlay cannot define environments");
            }

            merged = Merge.Project(merged, overlay);
        }

        // As the spec orders it: include after the files are merged (so conflicts between them are seen), extends last,
        // so that a service may extend one brought in by include.
        var referenced = new ReferencedFiles(options, errors);
        var model = new Include(reader, referenced, options.Limits, context.Variables).Apply((MappingNode)merged, projectDirectory,
            [.. documents.Select(d => Path.GetFullPath(d.Path, options.WorkingDirectory))]);
        model = new Extends(reader, referenced, options.Limits, context.Lookup).Apply(model, "", projectDirectory);
        var project = Build(model, options, context, reader, projectDirectory);
        if (errors.Count > 0)
        {
            throw new ConfigException(Sort(errors, documents));
        }

        return project! with { Warnings = [.. context.Warnings] };
    }

    private static ProjectSpec? Build(MappingNode root, ProjectLoadOptions options, LoadContext context, NodeReader reader, string projectDirectory)
    {
        var name = ResolveName(root, options, context, reader, projectDirectory);
        var projectReader = new ProjectReader(reader, context);
        var project = projectReader.Read(root, name);
        if (project is null)
        {
            return null;
        }

        var profiles = new HashSet<string>(options.Profiles.IsDefault ? [] : options.Profiles, StringComparer.Ordinal);
        if (context.Lookup("COMPOSE_PROFILES") is { } fromEnv)
        {
            profiles.UnionWith(fromEnv.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }

        return Validation.Apply(project, profiles, profiles.Contains("*"), projectReader.DeclaredVolumes, context, reader);
    }

    // Precedence as Compose: -p, COMPOSE_PROJECT_NAME, top-level name:, then the project directory's name (normalised).
    private static string ResolveName(MappingNode root, ProjectLoadOptions options, LoadContext context, NodeReader reader, string projectDirectory)
    {
        var explicitName = options.ProjectName ?? context.Lookup("COMPOSE_PROJECT_NAME");
        var nameNode = root["name"];
        if (explicitName is null && nameNode is not null)
        {
            explicitName = reader.String(nameNode, "name");
        }

        if (!string.IsNullOrEmpty(explicitName))
        {
            if (!ProjectReader.ProjectName().IsMatch(explicitName))
            {
                // Only -p is quoted back: a name from name: or COMPOSE_PROJECT_NAME comes from a file, which may not be ours to print.
                var quoted = options.ProjectName is null ? "" : $" \"{explicitName}\"";
                reader.Error(ProjectReader.At(nameNode, root.Location.File),
                    $"invalid project name{quoted}: use lowercase letters, digits, '_' and '-', starting with a letter or digit");
            }

            return explicitName;
        }

        var fromDirectory = ProjectReader.NormaliseName(Path.GetFileName(Path.TrimEndingDirectorySeparator(projectDirectory)));
        if (fromDirectory.Length == 0)
        {
            reader.Error(root.Location, $"cannot derive a project name from the directory \"{projectDirectory}\"; set name: at the top level");
            return "default";
        }

        return fromDirectory;
    }

    private static Dictionary<string, string> Variables(ProjectLoadOptions options, string projectDirectory, string? dotEnvText, List<ConfigError> errors)
    {
        var shell = options.ProcessEnvironment;
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        if (dotEnvText is not null)
        {
            var path = Path.Combine(projectDirectory, ".env");
            foreach (var (key, value) in DotEnv.Parse(path, dotEnvText, name => shell.TryGetValue(name, out var v) ? v : null, errors))
            {
                variables[key] = value;
            }
        }

        foreach (var (key, value) in shell)
        {
            variables[key] = value;
        }

        return variables;
    }

    // The project directory is the first file's directory, as Compose defines it; .env and relative paths resolve there.
    private static string ProjectDirectory(IReadOnlyList<(string Path, string Text)> documents, ProjectLoadOptions options) =>
        documents.Count == 0
            ? Path.GetFullPath(options.WorkingDirectory)
            : Path.GetDirectoryName(Path.GetFullPath(documents[0].Path, options.WorkingDirectory))!;

    private static List<string> Discover(string directory)
    {
        foreach (var candidate in DefaultFiles)
        {
            if (!File.Exists(Path.Combine(directory, candidate)))
            {
                continue;
            }

            var files = new List<string> { Path.Combine(directory, candidate) };
            var stem = Path.GetFileNameWithoutExtension(candidate);
            foreach (var extension in new[] { ".yml", ".yaml" })
            {
                var over = Path.Combine(directory, stem + ".override" + extension);
                if (File.Exists(over))
                {
                    files.Add(over);
                    break;
                }
            }

            return files;
        }

        throw new ConfigException([new ConfigError(new SourceLocation(directory, 0, 0),
            $"no configuration file found; looked for {string.Join(", ", DefaultFiles)}")]);
    }

    private static IEnumerable<ConfigError> Sort(List<ConfigError> errors, IReadOnlyList<(string Path, string Text)> documents)
    {
        var order = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < documents.Count; i++)
        {
            order.TryAdd(documents[i].Path, i);
        }

        return errors
            .Select((e, i) => (e, i))
            .OrderBy(x => order.TryGetValue(x.e.Location.File, out var o) ? o : int.MaxValue)
            .ThenBy(x => x.e.Location.Line)
            .ThenBy(x => x.e.Location.Column)
            .ThenBy(x => x.i)
            .Select(x => x.e)
            .Distinct();
    }
}
