using System.Collections.Immutable;
using Nanokit.Core.Diagnostics;
using Nanokit.Core.Model;

namespace Nanokit.Core.Graph;

/// <summary>Builds the execution graph of a project from its <c>depends_on</c> edges. Pure: no I/O.</summary>
public static class GraphEngine
{
    /// <summary>
    /// The execution graph of <paramref name="project"/>. Throws <see cref="ConfigException"/> with every
    /// cycle and every required dependency on an undefined service; an optional one (<c>required: false</c>)
    /// on an undefined service is dropped, as Compose does.
    /// </summary>
    public static ExecutionGraph Build(ProjectSpec project)
    {
        ArgumentNullException.ThrowIfNull(project);
        var edges = EdgeList.From(project);
        var errors = edges.UndefinedTargets;
        var graph = ExecutionGraph.TryCreate(edges.Names, edges.Index, edges.DepStart, edges.Deps);
        if (graph is null)
        {
            errors = errors.AddRange(CycleFinder.Find(edges));
        }

        return errors.IsEmpty ? graph! : throw new ConfigException(errors);
    }

    /// <summary>
    /// Every cycle the depth-first search meets, one error per cycle located at its first edge, with the
    /// message <c>cycle: api -> worker -> api (api -> worker at f:7:9, worker -> api at f:12:9)</c>.
    /// Empty when the graph is acyclic. Dependencies on undefined services are ignored here.
    /// </summary>
    public static ImmutableArray<ConfigError> FindCycles(ProjectSpec project)
    {
        ArgumentNullException.ThrowIfNull(project);
        var edges = EdgeList.From(project);
        return ExecutionGraph.TryCreate(edges.Names, edges.Index, edges.DepStart, edges.Deps) is null
            ? CycleFinder.Find(edges)
            : [];
    }
}
