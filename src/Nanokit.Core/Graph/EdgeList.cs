using System.Collections.Immutable;
using Nanokit.Core.Diagnostics;
using Nanokit.Core.Model;

namespace Nanokit.Core.Graph;

/// <summary>
/// A project's <c>depends_on</c> edges as compressed rows over services numbered in ordinal name order;
/// <see cref="Locations"/> runs parallel to <see cref="Deps"/> so a cycle can name where each edge is declared.
/// </summary>
internal sealed class EdgeList
{
    private EdgeList(
        string[] names,
        Dictionary<string, int> index,
        int[] depStart,
        int[] deps,
        SourceLocation[] locations,
        ImmutableArray<ConfigError> undefinedTargets)
    {
        Names = names;
        Index = index;
        DepStart = depStart;
        Deps = deps;
        Locations = locations;
        UndefinedTargets = undefinedTargets;
    }

    public string[] Names { get; }

    public Dictionary<string, int> Index { get; }

    public int[] DepStart { get; }

    public int[] Deps { get; }

    public SourceLocation[] Locations { get; }

    /// <summary>Required dependencies on services the project does not define.</summary>
    public ImmutableArray<ConfigError> UndefinedTargets { get; }

    public static EdgeList From(ProjectSpec project)
    {
        var names = new string[project.Services.Count];
        var specs = new ServiceSpec[names.Length];
        var n = 0;
        var edgeCount = 0;
        foreach (var (name, service) in project.Services)
        {
            names[n] = name;
            specs[n++] = service;
            edgeCount += service.DependsOn.Count;
        }

        // The map's own comparer may not be ordinal; sorting both arrays together avoids a lookup per service.
        Array.Sort(names, specs, StringComparer.Ordinal);
        var index = new Dictionary<string, int>(names.Length, StringComparer.Ordinal);
        for (var i = 0; i < names.Length; i++)
        {
            index.Add(names[i], i);
        }

        var depStart = new int[names.Length + 1];
        var deps = new int[edgeCount];
        var locations = new SourceLocation[edgeCount];
        var undefined = ImmutableArray.CreateBuilder<ConfigError>();
        var row = new List<(int Target, SourceLocation Location)>();
        var e = 0;
        for (var i = 0; i < names.Length; i++)
        {
            row.Clear();
            foreach (var (target, dependency) in specs[i].DependsOn)
            {
                if (index.TryGetValue(target, out var j))
                {
                    row.Add((j, dependency.Location));
                }
                else if (dependency.Required)
                {
                    undefined.Add(new ConfigError(
                        dependency.Location,
                        $"service \"{names[i]}\" depends on undefined service \"{target}\""));
                }
            }

            // Sorted rows make every traversal, and so every cycle message, deterministic.
            row.Sort(static (a, b) => a.Target.CompareTo(b.Target));
            foreach (var (target, location) in row)
            {
                deps[e] = target;
                locations[e] = location;
                e++;
            }

            depStart[i + 1] = e;
        }

        if (e < edgeCount)
        {
            Array.Resize(ref deps, e);
            Array.Resize(ref locations, e);
        }

        return new EdgeList(names, index, depStart, deps, locations, undefined.ToImmutable());
    }
}
