using Nanokit.Core.Model;

namespace Nanokit.Core.Plan;

/// <summary>
/// Orders the deletion of orphaned services, dependents before their dependencies.
/// </summary>
/// <remarks>
/// Design note: the orphans are gone from the configuration, so their edges come from the definitions their
/// replicas were created from (<see cref="ObservedReplica.AppliedDefinition"/>), restricted to other orphans.
/// Kahn's algorithm over dependent → dependency edges: layer 0 holds the orphans no orphan depends on
/// (including those whose dependencies are unknown, unless a known orphan needs them), and each dependency
/// comes one layer after its last dependent. Applied definitions are history, not validated configuration,
/// so they may form a cycle; the orphans on one are deleted together in a final layer rather than never.
/// </remarks>
internal static class OrphanLayers
{
    /// <summary>The orphan names in deletion layers, each layer sorted ordinally.</summary>
    public static List<List<string>> Order(SortedDictionary<string, List<ObservedReplica>> orphans)
    {
        var dependenciesOf = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var waiting = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var name in orphans.Keys)
        {
            waiting[name] = 0;
        }

        foreach (var (name, replicas) in orphans)
        {
            foreach (var dependency in KnownDependencies(replicas))
            {
                if (orphans.ContainsKey(dependency) && dependency != name)
                {
                    waiting[dependency]++;
                    if (!dependenciesOf.TryGetValue(name, out var list))
                    {
                        list = [];
                        dependenciesOf.Add(name, list);
                    }

                    list.Add(dependency);
                }
            }
        }

        var layers = new List<List<string>>();
        var current = orphans.Keys.Where(name => waiting[name] == 0).ToList();
        var placed = 0;
        while (current.Count > 0)
        {
            layers.Add(current);
            placed += current.Count;
            var next = new List<string>();
            foreach (var name in current)
            {
                if (dependenciesOf.TryGetValue(name, out var dependencies))
                {
                    foreach (var dependency in dependencies)
                    {
                        if (--waiting[dependency] == 0)
                        {
                            next.Add(dependency);
                        }
                    }
                }
            }

            next.Sort(StringComparer.Ordinal);
            current = next;
        }

        if (placed < orphans.Count)
        {
            layers.Add(orphans.Keys.Where(name => waiting[name] > 0).ToList());
        }

        return layers;
    }

    private static SortedSet<string> KnownDependencies(List<ObservedReplica> replicas)
    {
        var dependencies = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var replica in replicas)
        {
            if (replica.AppliedDefinition is { } applied)
            {
                dependencies.UnionWith(applied.DependsOn.Keys);
            }
        }

        return dependencies;
    }
}
