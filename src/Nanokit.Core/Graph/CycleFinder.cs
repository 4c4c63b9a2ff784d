using System.Collections.Immutable;
using System.Text;
using Nanokit.Core.Diagnostics;

namespace Nanokit.Core.Graph;

/// <summary>
/// Reports the cycles of a dependency graph as configuration errors.
/// </summary>
/// <remarks>
/// Design note: an iterative three-colour depth-first search (an explicit stack, so a 100 k-long chain
/// cannot overflow the call stack). Every cycle contains at least one back edge (an edge to a node still
/// on the stack), and each back edge closes exactly one cycle: the stack from its target to the top.
/// So one error per back edge reports every cycle the search finds — all of them when cycles are
/// disjoint, and at least one through every back edge when they share nodes — in time linear in the
/// graph plus the length of the reported paths. Enumerating all elementary cycles instead would be
/// exponential. Each cycle is rotated to start at its ordinally smallest service, so the message does
/// not depend on where the search happened to enter it.
/// </remarks>
internal static class CycleFinder
{
    private const byte White = 0;
    private const byte Grey = 1;
    private const byte Black = 2;

    public static ImmutableArray<ConfigError> Find(EdgeList edges)
    {
        var names = edges.Names;
        var depStart = edges.DepStart;
        var deps = edges.Deps;
        var colour = new byte[names.Length];
        var positionOnStack = new int[names.Length];

        // Frame k: the node on the stack, and the next edge of its row to explore; while a child frame is
        // open, cursor - 1 is the edge that leads to it.
        var stackNode = new int[names.Length];
        var stackCursor = new int[names.Length];
        var errors = ImmutableArray.CreateBuilder<ConfigError>();
        var seen = new HashSet<string>(StringComparer.Ordinal);

        for (var root = 0; root < names.Length; root++)
        {
            if (colour[root] != White)
            {
                continue;
            }

            var top = 0;
            stackNode[0] = root;
            stackCursor[0] = depStart[root];
            colour[root] = Grey;
            positionOnStack[root] = 0;
            while (top >= 0)
            {
                var u = stackNode[top];
                if (stackCursor[top] == depStart[u + 1])
                {
                    colour[u] = Black;
                    top--;
                    continue;
                }

                var edge = stackCursor[top]++;
                var v = deps[edge];
                if (colour[v] == White)
                {
                    top++;
                    stackNode[top] = v;
                    stackCursor[top] = depStart[v];
                    colour[v] = Grey;
                    positionOnStack[v] = top;
                }
                else if (colour[v] == Grey)
                {
                    var error = Describe(edges, stackNode, stackCursor, positionOnStack[v], top, edge);
                    if (seen.Add(error.Message))
                    {
                        errors.Add(error);
                    }
                }
            }
        }

        return errors.ToImmutable();
    }

    private static ConfigError Describe(EdgeList edges, int[] stackNode, int[] stackCursor, int from, int top, int closingEdge)
    {
        var length = top - from + 1;
        var nodes = new int[length];
        var path = new int[length];
        for (var k = 0; k < length; k++)
        {
            nodes[k] = stackNode[from + k];
            path[k] = k == length - 1 ? closingEdge : stackCursor[from + k] - 1;
        }

        // Node numbers follow ordinal name order, so the smallest number is the smallest name.
        var start = 0;
        for (var k = 1; k < length; k++)
        {
            if (nodes[k] < nodes[start])
            {
                start = k;
            }
        }

        var names = edges.Names;
        var message = new StringBuilder("cycle: ");
        for (var k = 0; k < length; k++)
        {
            message.Append(names[nodes[(start + k) % length]]).Append(" -> ");
        }

        message.Append(names[nodes[start]]).Append(" (");
        for (var k = 0; k < length; k++)
        {
            var at = (start + k) % length;
            if (k > 0)
            {
                message.Append(", ");
            }

            message.Append(names[nodes[at]]).Append(" -> ").Append(names[nodes[(at + 1) % length]])
                .Append(" at ").Append(edges.Locations[path[at]]);
        }

        message.Append(')');
        return new ConfigError(edges.Locations[path[start]], message.ToString());
    }
}
