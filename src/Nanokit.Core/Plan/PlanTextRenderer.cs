using System.Text;

namespace Nanokit.Core.Plan;

/// <summary>
/// The human rendering of a plan, shaped like Terraform's. One line per changing replica, grouped under
/// <c># layer N</c> (the plan layer index, as in the JSON), with the symbol right-aligned as Terraform does:
/// <code>
/// Nanokit will perform the following actions in project "shop":
///
/// # layer 0
///   - destroy old-worker[1]  # not in configuration (orphan)
///
/// # layer 1
///   + create db[2]  # not deployed
/// -/+ recreate api[1]  # image changed: shop/api:1 -> shop/api:2
///   ~ start api[2]  # exited (137)
///
/// Plan: 2 to add, 1 to change, 2 to destroy.
/// </code>
/// The verbs are <see cref="PlanJsonRenderer.Verb"/>'s, the ones <c>up</c> and <c>status</c> print.
/// NO_OP actions and layers with nothing to do are left out; a plan with no change renders as
/// <c>No changes. Your services match the configuration.</c>. Lines end in <c>\n</c> on every platform,
/// and the text ends with the summary sentence, without a final newline, except that replicas left exited because their
/// restart bound is reached follow it, so a plan says why it does not bring them back:
/// <code>
/// Left exited:
///   worker[1]  # exited (3); restart on-failure:3 reached
/// </code>
/// </summary>
public static class PlanTextRenderer
{
    public const string NoChanges = "No changes. Your services match the configuration.";

    public static string Render(ServicePlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (!plan.HasChanges)
        {
            return LeftExited(new StringBuilder(NoChanges), plan).ToString();
        }

        var text = new StringBuilder();
        text.Append("Nanokit will perform the following actions in project \"").Append(plan.Project).Append("\":\n");
        foreach (var layer in plan.Layers)
        {
            var headed = false;
            foreach (var action in layer.Actions)
            {
                if (action.Action == ActionType.NoOp)
                {
                    continue;
                }

                if (!headed)
                {
                    text.Append("\n# layer ").Append(layer.Index).Append('\n');
                    headed = true;
                }

                text.Append(Symbol(action.Action)).Append(' ')
                    .Append(action.Service).Append('[').Append(action.Replica).Append("]  # ")
                    .Append(action.Cause).Append('\n');
            }
        }

        var summary = plan.Summary;
        text.Append("\nPlan: ").Append(summary.Add).Append(" to add, ")
            .Append(summary.Change).Append(" to change, ")
            .Append(summary.Destroy).Append(" to destroy.");
        return LeftExited(text, plan).ToString();
    }

    private static StringBuilder LeftExited(StringBuilder text, ServicePlan plan)
    {
        var headed = false;
        foreach (var action in plan.Actions)
        {
            if (!action.RestartBoundReached)
            {
                continue;
            }

            if (!headed)
            {
                text.Append("\n\nLeft exited:");
                headed = true;
            }

            text.Append("\n  ").Append(action.Service).Append('[').Append(action.Replica).Append("]  # ").Append(action.Cause);
        }

        return text;
    }

    private static string Symbol(ActionType action) => action switch
    {
        ActionType.Create => "  + create",
        ActionType.Start => "  ~ start",
        ActionType.Stop => "  ~ stop",
        ActionType.Restart => "  ~ restart",
        ActionType.Update => "-/+ recreate",
        ActionType.Delete => "  - destroy",
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, "no symbol for this action"),
    };
}
