using System.Collections.Immutable;
using System.Runtime.InteropServices;

namespace Nanokit.Core.Graph;

/// <summary>
/// The acyclic dependency graph of a project's services, in execution layers: layer 0 holds the
/// services that depend on nothing, and every service sits one layer above its deepest dependency,
/// so every edge points to an earlier layer and a whole layer can start at once.
/// Names are compared ordinally everywhere, so layers read the same on every machine.
/// </summary>
/// <remarks>
/// Design note: services are numbered in ordinal name order and edges are kept in compressed rows
/// (<c>depStart[i]..depStart[i+1]</c> indexes <c>deps</c>), which keeps a 100 k-service graph to a
/// few flat arrays. Layers come from Kahn's algorithm over the reversed edges, O(V + E), without
/// recursion; a node still unvisited when the queue drains lies on a cycle (see <see cref="CycleFinder"/>).
/// </remarks>
public sealed class ExecutionGraph
{
    private readonly string[] names;
    private readonly Dictionary<string, int> index;
    private readonly int[] depStart;
    private readonly int[] deps;
    private readonly int[] layerOf;

    private ExecutionGraph(string[] names, Dictionary<string, int> index, int[] depStart, int[] deps, int[] layerOf)
    {
        this.names = names;
        this.index = index;
        this.depStart = depStart;
        this.deps = deps;
        this.layerOf = layerOf;
        Layers = BuildLayers(names, layerOf);
        ReverseLayers = [.. Layers.Reverse()];
    }

    /// <summary>Execution layers, first to last; each layer's names sorted ordinally.</summary>
    public ImmutableArray<ImmutableArray<string>> Layers { get; }

    /// <summary>The layers last to first: the order for deleting, dependents before their dependencies.</summary>
    public ImmutableArray<ImmutableArray<string>> ReverseLayers { get; }

    /// <summary>Number of services.</summary>
    public int Count => names.Length;

    /// <summary>All services, sorted ordinally.</summary>
    public ImmutableArray<string> Services => ImmutableCollectionsMarshal.AsImmutableArray(names);

    public bool Contains(string service) => index.ContainsKey(service);

    /// <summary>The layer of <paramref name="service"/>; throws <see cref="UnknownServiceException"/> when it is not in the graph.</summary>
    public int LayerOf(string service) => layerOf[IndexOf(service)];

    /// <summary>The direct dependencies of <paramref name="service"/> inside this graph, sorted ordinally.</summary>
    public ImmutableArray<string> DependenciesOf(string service)
    {
        var i = IndexOf(service);
        var builder = ImmutableArray.CreateBuilder<string>(depStart[i + 1] - depStart[i]);
        for (var e = depStart[i]; e < depStart[i + 1]; e++)
        {
            builder.Add(names[deps[e]]);
        }

        return builder.MoveToImmutable();
    }

    /// <summary>
    /// The graph for <c>up SERVICE...</c>: the named services plus everything they transitively depend on.
    /// Throws <see cref="UnknownServiceException"/> naming every unknown service.
    /// </summary>
    public ExecutionGraph Subgraph(IEnumerable<string> services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var keep = new bool[names.Length];
        var stack = new Stack<int>();
        var unknown = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var service in services)
        {
            if (!index.TryGetValue(service, out var i))
            {
                unknown.Add(service);
            }
            else if (!keep[i])
            {
                keep[i] = true;
                stack.Push(i);
            }
        }

        if (unknown.Count > 0)
        {
            throw new UnknownServiceException(unknown.ToImmutableArray());
        }

        while (stack.Count > 0)
        {
            var i = stack.Pop();
            for (var e = depStart[i]; e < depStart[i + 1]; e++)
            {
                if (!keep[deps[e]])
                {
                    keep[deps[e]] = true;
                    stack.Push(deps[e]);
                }
            }
        }

        // The kept set is closed under dependencies, so each kept service keeps its layer:
        // its deepest dependency path lies entirely inside the sub-graph.
        var remap = new int[names.Length];
        var subNames = new List<string>();
        for (var i = 0; i < names.Length; i++)
        {
            remap[i] = keep[i] ? subNames.Count : -1;
            if (keep[i])
            {
                subNames.Add(names[i]);
            }
        }

        var subStart = new int[subNames.Count + 1];
        var subDeps = new List<int>();
        var subLayer = new int[subNames.Count];
        var subIndex = new Dictionary<string, int>(subNames.Count, StringComparer.Ordinal);
        for (var i = 0; i < names.Length; i++)
        {
            if (!keep[i])
            {
                continue;
            }

            var j = remap[i];
            subIndex.Add(names[i], j);
            subLayer[j] = layerOf[i];
            for (var e = depStart[i]; e < depStart[i + 1]; e++)
            {
                subDeps.Add(remap[deps[e]]);
            }

            subStart[j + 1] = subDeps.Count;
        }

        return new ExecutionGraph(subNames.ToArray(), subIndex, subStart, subDeps.ToArray(), subLayer);
    }

    /// <summary>
    /// Layers the graph given by compressed dependency rows over ordinally sorted names; returns null
    /// when the edges contain a cycle.
    /// </summary>
    internal static ExecutionGraph? TryCreate(string[] names, Dictionary<string, int> index, int[] depStart, int[] deps)
    {
        var n = names.Length;

        // Reverse the edges (dependency -> dependents) so Kahn can release a service once its last dependency is placed.
        var dependentStart = new int[n + 1];
        foreach (var d in deps)
        {
            dependentStart[d + 1]++;
        }

        for (var i = 0; i < n; i++)
        {
            dependentStart[i + 1] += dependentStart[i];
        }

        var dependents = new int[deps.Length];
        var fill = (int[])dependentStart.Clone();
        var remaining = new int[n];
        for (var i = 0; i < n; i++)
        {
            remaining[i] = depStart[i + 1] - depStart[i];
            for (var e = depStart[i]; e < depStart[i + 1]; e++)
            {
                dependents[fill[deps[e]]++] = i;
            }
        }

        var layerOf = new int[n];
        var queue = new int[n];
        int head = 0, tail = 0;
        for (var i = 0; i < n; i++)
        {
            if (remaining[i] == 0)
            {
                queue[tail++] = i;
            }
        }

        while (head < tail)
        {
            var u = queue[head++];
            for (var e = dependentStart[u]; e < dependentStart[u + 1]; e++)
            {
                var v = dependents[e];
                layerOf[v] = Math.Max(layerOf[v], layerOf[u] + 1);
                if (--remaining[v] == 0)
                {
                    queue[tail++] = v;
                }
            }
        }

        return tail == n ? new ExecutionGraph(names, index, depStart, deps, layerOf) : null;
    }

    private int IndexOf(string service) =>
        index.TryGetValue(service, out var i) ? i : throw new UnknownServiceException([service]);

    private static ImmutableArray<ImmutableArray<string>> BuildLayers(string[] names, int[] layerOf)
    {
        if (names.Length == 0)
        {
            return [];
        }

        var count = 0;
        foreach (var layer in layerOf)
        {
            count = Math.Max(count, layer + 1);
        }

        var sizes = new int[count];
        foreach (var layer in layerOf)
        {
            sizes[layer]++;
        }

        var builders = new ImmutableArray<string>.Builder[count];
        for (var l = 0; l < count; l++)
        {
            builders[l] = ImmutableArray.CreateBuilder<string>(sizes[l]);
        }

        // Names are already in ordinal order, so appending in index order sorts each layer.
        for (var i = 0; i < names.Length; i++)
        {
            builders[layerOf[i]].Add(names[i]);
        }

        var result = ImmutableArray.CreateBuilder<ImmutableArray<string>>(count);
        foreach (var builder in builders)
        {
            result.Add(builder.MoveToImmutable());
        }

        return result.MoveToImmutable();
    }
}
