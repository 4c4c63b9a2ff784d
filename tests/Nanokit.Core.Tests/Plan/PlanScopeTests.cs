using Nanokit.Core.Graph;
using Nanokit.Core.Model;
using Nanokit.Core.Plan;
using Xunit;
using static Nanokit.Core.Tests.Graph.TestProjects;
using static Nanokit.Core.Tests.Plan.PlanEngineTests;

namespace Nanokit.Core.Tests.Plan;

/// <summary>Orphans, and planning part of a project (<c>up SERVICE...</c>).</summary>
public sealed class PlanScopeTests
{
    private static readonly ProjectSpec Old = Project(
        Service("db"),
        Service("queue"),
        Service("legacy-api").DependingOn("db").DependingOn("queue"),
        Service("legacy-web").DependingOn("legacy-api"));

    private static readonly ProjectSpec Current = Project(Service("db"), Service("api").DependingOn("db"));

    [Fact]
    public void Orphans_are_deleted_first_dependents_before_their_dependencies()
    {
        var plan = PlanEngine.Plan(Current, Deployed(Old));

        Assert.Equal(
            """
            Nanokit will perform the following actions in project "shop":

            # layer 0
              - destroy legacy-web[1]  # not in configuration (orphan)

            # layer 1
              - destroy legacy-api[1]  # not in configuration (orphan)

            # layer 2
              - destroy queue[1]  # not in configuration (orphan)

            # layer 4
              + create api[1]  # not deployed

            Plan: 1 to add, 0 to change, 3 to destroy.
            """,
            plan.ToString());
        Assert.Equal("db", Assert.Single(plan.Layers[3].Actions).Service);
    }

    [Fact]
    public void Orphans_whose_dependencies_are_unknown_go_first_unless_a_known_orphan_needs_them()
    {
        var observed = new ObservedState(
        [
            new ObservedReplica("needs-mystery", 1, "h", ReplicaState.Running, AppliedDefinition: Service("needs-mystery").DependingOn("mystery")),
            new ObservedReplica("mystery", 1, "h", ReplicaState.Running),
            new ObservedReplica("stray", 1, "h", ReplicaState.Exited),
        ]);

        var plan = PlanEngine.Plan(Project(), observed);

        Assert.Equal(
            [(0, "needs-mystery"), (0, "stray"), (1, "mystery")],
            plan.Layers.SelectMany(l => l.Actions.Select(a => (l.Index, a.Service))));
    }

    [Fact]
    public void Orphans_whose_applied_definitions_form_a_cycle_are_still_deleted()
    {
        var observed = new ObservedState(
        [
            new ObservedReplica("x", 1, "h", ReplicaState.Running, AppliedDefinition: Service("x").DependingOn("y")),
            new ObservedReplica("y", 1, "h", ReplicaState.Running, AppliedDefinition: Service("y").DependingOn("x")),
            new ObservedReplica("z", 1, "h", ReplicaState.Running),
        ]);

        var plan = PlanEngine.Plan(Project(), observed);

        Assert.Equal([(0, "z"), (1, "x"), (1, "y")], plan.Layers.SelectMany(l => l.Actions.Select(a => (l.Index, a.Service))));
    }

    [Fact]
    public void Orphans_are_kept_when_removal_is_turned_off()
    {
        var plan = PlanEngine.Plan(Current, Deployed(Old), new PlanOptions { RemoveOrphans = false });

        Assert.DoesNotContain(plan.Actions, a => a.Action == ActionType.Delete);
    }

    [Fact]
    public void Planning_a_subset_covers_the_named_services_and_their_dependencies_only()
    {
        var project = Project(Service("db"), Service("cache"), Service("api").DependingOn("db"), Service("admin").DependingOn("cache"));

        var plan = PlanEngine.Plan(project, Deployed(Old), new PlanOptions { Services = ["api"] });

        Assert.Equal(
            [("db", ActionType.NoOp), ("api", ActionType.Create)],
            plan.Actions.Select(a => (a.Service, a.Action)));
    }

    [Fact]
    public void Planning_a_subset_deletes_orphans_only_when_asked()
    {
        var options = new PlanOptions { Services = ["api"], RemoveOrphans = true };

        var plan = PlanEngine.Plan(Current, Deployed(Old), options);

        Assert.Equal(
            ["legacy-web", "legacy-api", "queue"],
            plan.Actions.Where(a => a.Action == ActionType.Delete).Select(a => a.Service));
    }

    [Fact]
    public void Planning_an_unknown_service_is_an_error()
    {
        Assert.Throws<UnknownServiceException>(() => PlanEngine.Plan(Current, ObservedState.Empty, new PlanOptions { Services = ["nope"] }));
    }

    [Fact]
    public void A_prebuilt_graph_gives_the_same_plan()
    {
        var graph = GraphEngine.Build(Current);

        Assert.Equal(
            PlanEngine.Plan(Current, Deployed(Old)).ToJson(),
            PlanEngine.Plan(Current, graph, Deployed(Old)).ToJson());
    }
}
