using System.Collections.Immutable;
using Nanokit.Core.Diagnostics;

namespace Nanokit.Core.Config;

/// <summary>
/// Applies top-level <c>include</c> as the Compose specification defines it: each entry (a path, or a mapping with
/// <c>path</c> — one file or a list merged in order —, <c>project_directory</c> and <c>env_file</c>) is loaded as a
/// model of its own: interpolated with its <c>env_file</c>s (default: <c>.env</c> in its project directory) overridden
/// by the including project's variables, its own includes and extends applied, its relative paths made absolute
/// against its project directory. Its services, volumes, networks, secrets and configs are then copied into the
/// including model; a name defined on both sides is a conflict error, as in Compose, never a merge.
/// Nesting is bounded by <see cref="LoadLimits.IncludeDepth"/> and a file including itself (directly or not) is a cycle.
/// </summary>
internal sealed class Include(NodeReader reader, ReferencedFiles files, LoadLimits limits, IReadOnlyDictionary<string, string> variables)
{
    private static readonly string[] EntryKeys = ["path", "project_directory", "env_file"];
    private static readonly string[] Sections = ["services", "volumes", "networks", "secrets", "configs"];

    /// <summary>The model with its includes copied in; <paramref name="chain"/> holds the files including it, outermost first.</summary>
    public MappingNode Apply(MappingNode root, string directory, ImmutableList<string> chain)
    {
        if (root["include"] is not { } includeNode)
        {
            return root;
        }

        root = Extends.Without(root, "include");
        if (includeNode is ScalarNode { IsNull: true })
        {
            return root;
        }

        if (includeNode is not SequenceNode entries)
        {
            reader.Error(includeNode, $"include: expected a sequence of paths or mappings, got {includeNode.KindName}");
            return root;
        }

        foreach (var entry in entries.Items)
        {
            if (Load(entry, directory, chain) is { } included)
            {
                root = CopyInto(root, included.Model, included.Shown);
            }
        }

        return root;
    }

    private (MappingNode Model, string Shown)? Load(ConfigNode entry, string directory, ImmutableList<string> chain)
    {
        ConfigNode pathNode;
        ConfigNode? projectDirectoryNode = null;
        ConfigNode? envFileNode = null;
        if (entry is MappingNode m)
        {
            reader.CheckKeys(m, "in include", EntryKeys);
            if (m["path"] is not { } p)
            {
                reader.Error(m, "include: path is required");
                return null;
            }

            (pathNode, projectDirectoryNode, envFileNode) = (p, m["project_directory"], m["env_file"]);
        }
        else
        {
            pathNode = entry;
        }

        var paths = reader.StringList(pathNode, "include.path", allowSingle: true);
        if (paths.IsDefaultOrEmpty)
        {
            if (pathNode is SequenceNode { Items.IsEmpty: true })
            {
                reader.Error(pathNode, "include.path: expected at least one file");
            }

            return null;
        }

        var fullPaths = paths.Select(p => Path.GetFullPath(p, directory)).ToList();
        foreach (var full in fullPaths)
        {
            if (chain.IndexOf(full) is var at and >= 0)
            {
                // Relative to the main file's directory: included files are often all named compose.yaml.
                var top = Path.GetDirectoryName(chain[0])!;
                var cycle = chain.Skip(at).Append(full).Select(p => Path.GetRelativePath(top, p));
                reader.Error(pathNode, $"include: cycle: {string.Join(" -> ", cycle)}");
                return null;
            }
        }

        if (chain.Count >= limits.IncludeDepth)
        {
            reader.Error(pathNode, $"include: includes nest deeper than {limits.IncludeDepth} files, the most they may");
            return null;
        }

        var projectDirectory = Path.GetDirectoryName(fullPaths[0])!;
        if (projectDirectoryNode is not null)
        {
            if (reader.String(projectDirectoryNode, "include.project_directory") is not { } pd)
            {
                return null;
            }

            projectDirectory = Path.GetFullPath(pd, directory);
        }

        var lookup = Variables(envFileNode, directory, projectDirectory);
        MappingNode? model = null;
        foreach (var (full, shown) in fullPaths.Zip(paths))
        {
            if (files.Read(full, pathNode, $"include \"{shown}\"", lookup.Lookup) is not { } read)
            {
                return null;
            }

            model = model is null ? read : (MappingNode)Merge.Project(model, read);
        }

        var inner = new Include(reader, files, limits, lookup.Variables);
        model = inner.Apply(model!, projectDirectory, chain.AddRange(fullPaths));
        model = new Extends(reader, files, limits, lookup.Lookup).Apply(model, fullPaths[0], projectDirectory);
        return (Rebase(model, projectDirectory), paths[0]);
    }

    // The included project's variables: its env files, overridden by the including project's (the spec's precedence).
    private (IReadOnlyDictionary<string, string> Variables, Func<string, string?> Lookup) Variables(ConfigNode? envFileNode, string directory, string projectDirectory)
    {
        var merged = new Dictionary<string, string>(StringComparer.Ordinal);
        var envFiles = envFileNode is null
            ? [(Path.Combine(projectDirectory, ".env"), Required: false)]
            : reader.StringList(envFileNode, "include.env_file", allowSingle: true).Select(p => (Path.GetFullPath(p, directory), Required: true)).ToList();
        foreach (var (path, required) in envFiles)
        {
            var (text, problem) = limits.Read(path, limits.EnvFileBytes);
            if (text is null)
            {
                if (problem is not null || required)
                {
                    reader.Error(envFileNode?.Location ?? new SourceLocation(path, 0, 0),
                        $"include.env_file: {problem ?? "file not found"} (resolved to {path})");
                }

                continue;
            }

            foreach (var (key, value) in DotEnv.Parse(path, text, name => variables.TryGetValue(name, out var v) ? v : merged.GetValueOrDefault(name), reader.Errors))
            {
                merged[key] = value;
            }
        }

        foreach (var (key, value) in variables)
        {
            merged[key] = value;
        }

        return (merged, name => merged.TryGetValue(name, out var v) ? v : null);
    }

    private static MappingNode Rebase(MappingNode model, string projectDirectory)
    {
        foreach (var section in new[] { "services", "secrets", "configs" })
        {
            if (model[section] is MappingNode map)
            {
                var entries = map.Entries.Select(e => new KeyValuePair<ScalarNode, ConfigNode>(e.Key, e.Value switch
                {
                    MappingNode service when section == "services" => RelativePaths.Service(service, projectDirectory),
                    _ when section != "services" => RelativePaths.Resource(e.Value, projectDirectory),
                    _ => e.Value,
                }));
                model = Extends.Replace(model, section, new MappingNode(map.Location, [.. entries]));
            }
        }

        return model;
    }

    private MappingNode CopyInto(MappingNode root, MappingNode included, string shown)
    {
        foreach (var section in Sections)
        {
            if (included[section] is not MappingNode theirs || theirs.Entries.IsEmpty)
            {
                continue;
            }

            var ours = root[section] as MappingNode;
            var entries = ImmutableArray.CreateBuilder<KeyValuePair<ScalarNode, ConfigNode>>();
            if (ours is not null)
            {
                entries.AddRange(ours.Entries);
            }

            foreach (var entry in theirs.Entries)
            {
                if (ours?.KeyNode(entry.Key.Value) is { } existing)
                {
                    reader.Error(existing, $"{section}.{entry.Key.Value} conflicts with the one defined by the included file {shown} ({entry.Key.Location}); include does not merge, rename one of them");
                    continue;
                }

                entries.Add(entry);
            }

            var copied = new MappingNode(ours?.Location ?? theirs.Location, entries.ToImmutable());
            root = ours is null
                ? new MappingNode(root.Location, root.Entries.Add(new(new ScalarNode(theirs.Location, section, isPlain: true), copied)))
                : Extends.Replace(root, section, copied);
        }

        return root;
    }
}
