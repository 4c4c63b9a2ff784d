using Nanokit.Core.Model;
using Nanokit.Core.Plan;
using Xunit;
using static Nanokit.Core.Tests.Graph.TestProjects;
using static Nanokit.Core.Tests.Plan.PlanEngineTests;

namespace Nanokit.Core.Tests.Plan;

public sealed class PlanRenderingTests
{
    [Fact]
    public void The_json_rendering_has_a_stable_shape_and_includes_no_op_actions()
    {
        var before = Project(Service("db"), Service("api", "shop/api:1").DependingOn("db"));
        var after = Project(Service("db"), Service("api", "shop/api:2").DependingOn("db"));

        var json = PlanEngine.Plan(after, Deployed(before)).ToJson();

        Assert.Equal(
            """{"project":"shop","runtime":"local (declared)","layers":[{"index":0,"actions":[{"service":"db","replica":1,"action":"NO_OP","cause":"up to date"}]},"""
            + """{"index":1,"actions":[{"service":"api","replica":1,"action":"UPDATE","cause":"image changed: shop/api:1 -> shop/api:2"}]}],"""
            + "\"summary\":{\"add\":1,\"change\":0,\"destroy\":1}}",
            json);
    }

    [Fact]
    public void Every_action_has_a_wire_name()
    {
        Assert.Equal(
            ["NO_OP", "CREATE", "START", "UPDATE", "DELETE", "STOP", "RESTART"],
            Enum.GetValues<ActionType>().Select(PlanJsonRenderer.WireName));
    }

    [Fact]
    public void The_summary_counts_a_replacement_as_one_add_and_one_destroy()
    {
        var summary = PlanSummary.Of(
        [
            new PlanAction("a", 1, ActionType.Create, "not deployed"),
            new PlanAction("a", 2, ActionType.Update, "config changed"),
            new PlanAction("a", 3, ActionType.Start, "exited"),
            new PlanAction("a", 4, ActionType.Delete, "replica 4 above desired 3"),
            new PlanAction("a", 5, ActionType.NoOp, "up to date"),
        ]);

        Assert.Equal(new PlanSummary(Add: 2, Change: 1, Destroy: 2), summary);
    }

    [Fact]
    public void A_plan_with_every_kind_of_action_renders_each_symbol()
    {
        var plan = new ServicePlan("shop",
        [
            new PlanLayer(0, [new PlanAction("old", 1, ActionType.Delete, "not in configuration (orphan)")]),
            new PlanLayer(1, [new PlanAction("db", 1, ActionType.NoOp, "up to date")]),
            new PlanLayer(2,
            [
                new PlanAction("api", 1, ActionType.Update, "image changed: a -> b"),
                new PlanAction("api", 2, ActionType.Start, "exited (137)"),
                new PlanAction("api", 3, ActionType.Create, "not deployed"),
            ]),
        ]);

        Assert.Equal(
            """
            Nanokit will perform the following actions in project "shop":

            # layer 0
              - destroy old[1]  # not in configuration (orphan)

            # layer 2
            -/+ recreate api[1]  # image changed: a -> b
              ~ start api[2]  # exited (137)
              + create api[3]  # not deployed

            Plan: 2 to add, 1 to change, 2 to destroy.
            """,
            plan.ToString());
    }

    [Fact]
    public void An_empty_plan_has_no_changes()
    {
        var plan = PlanEngine.Plan(Project(), ObservedState.Empty);

        Assert.False(plan.HasChanges);
        Assert.Equal(PlanTextRenderer.NoChanges, plan.ToString());
        Assert.Equal("""{"project":"shop","runtime":"local (declared)","layers":[],"summary":{"add":0,"change":0,"destroy":0}}""", plan.ToJson());
    }
}
