using System.Collections.Immutable;

namespace Nanokit.Core.Plan;

/// <summary>A set of actions that can run together: every action of a layer waits for the previous layer.</summary>
public sealed record PlanLayer(int Index, ImmutableArray<PlanAction> Actions);

/// <summary>
/// Counts as Terraform counts them: a CREATE adds one, a START, STOP or RESTART changes one (in place), a DELETE
/// destroys one, and an UPDATE (a replacement) adds one and destroys one. NO_OP counts nowhere.
/// </summary>
public readonly record struct PlanSummary(int Add, int Change, int Destroy)
{
    public static PlanSummary Of(IEnumerable<PlanAction> actions)
    {
        ArgumentNullException.ThrowIfNull(actions);
        int add = 0, change = 0, destroy = 0;
        foreach (var action in actions)
        {
            switch (action.Action)
            {
                case ActionType.Create:
                    add++;
                    break;
                case ActionType.Start or ActionType.Stop or ActionType.Restart:
                    change++;
                    break;
                case ActionType.Update:
                    add++;
                    destroy++;
                    break;
                case ActionType.Delete:
                    destroy++;
                    break;
            }
        }

        return new PlanSummary(add, change, destroy);
    }
}

/// <summary>
/// What it takes to make a project's observed state match its configuration: layers run in order,
/// actions inside a layer are independent. Orphan deletions come first (dependents before their
/// dependencies), then the project's execution layers. Within a layer, actions are sorted by service
/// then replica.
/// </summary>
public sealed class ServicePlan
{
    public ServicePlan(string project, ImmutableArray<PlanLayer> layers)
    {
        ArgumentNullException.ThrowIfNull(project);
        Project = project;
        Layers = layers.IsDefault ? [] : layers;
        Summary = PlanSummary.Of(Actions);
    }

    public string Project { get; }

    /// <summary>The runtime the plan is for and why it was chosen (<see cref="RuntimeChoices.Describe"/>); null for a plan built without a project.</summary>
    public string? Runtime { get; init; }

    public ImmutableArray<PlanLayer> Layers { get; }

    public PlanSummary Summary { get; }

    /// <summary>True when any action is not a NO_OP: the <c>--detailed-exitcode</c> 2.</summary>
    public bool HasChanges => Summary != default;

    /// <summary>Every action in execution order.</summary>
    public IEnumerable<PlanAction> Actions => Layers.SelectMany(static layer => layer.Actions);

    /// <summary>The Terraform-like text rendering (see <see cref="PlanTextRenderer"/>).</summary>
    public override string ToString() => PlanTextRenderer.Render(this);

    /// <summary>The JSON rendering (see <see cref="PlanJsonRenderer"/>).</summary>
    public string ToJson() => PlanJsonRenderer.Render(this);
}
