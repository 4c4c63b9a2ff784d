using Nanokit.Core.Model;
using Nanokit.Core.Plan;
using Xunit;
using static Nanokit.Core.Tests.Graph.TestProjects;

namespace Nanokit.Core.Tests.Plan;

/// <summary>Services stopped or restarted by intent (<c>nkapp stop</c>, <c>nkapp restart</c>).</summary>
public sealed class RunStatePlanTests
{
    private static readonly ProjectSpec Shop = Project(
        Service("db", "postgres:16"),
        Service("api", "shop/api:1", replicas: 2).DependingOn("db"));

    [Fact]
    public void Plan_stops_the_running_replicas_of_a_stopped_service_and_creates_none_of_it()
    {
        var observed = new ObservedState([.. PlanEngineTests.Deployed(Shop).Replicas.Where(r => !(r.Service == "api" && r.Replica == 2))]);

        var plan = PlanEngine.Plan(Shop, observed, new PlanOptions { Stopped = ["api"] });

        Assert.Equal(
            """
            Nanokit will perform the following actions in project "shop":

            # layer 1
              ~ stop api[1]  # stopped by `nkapp stop`

            Plan: 0 to add, 1 to change, 0 to destroy.
            """,
            plan.ToString());
        Assert.Equal(ActionType.NoOp, plan.Actions.Single(a => a.Service == "api" && a.Replica == 2).Action);
    }

    [Fact]
    public void Plan_leaves_a_stopped_replica_of_a_stopped_service_alone_and_starts_it_once_no_longer_stopped()
    {
        var observed = new ObservedState([.. PlanEngineTests.Deployed(Shop).Replicas.Select(r => r with { State = ReplicaState.Exited, ExitCode = 143 })]);

        var stopped = PlanEngine.Plan(Shop, observed, new PlanOptions { Stopped = ["api", "db"] });
        var started = PlanEngine.Plan(Shop, observed);

        Assert.False(stopped.HasChanges);
        Assert.All(started.Actions, a => Assert.Equal(ActionType.Start, a.Action));
    }

    [Fact]
    public void Plan_restarts_only_running_current_replicas_of_a_service_to_restart()
    {
        var desired = Shop with { Services = Shop.Services.SetItem("api", Shop.Services["api"] with { Replicas = 3 }) };

        var plan = PlanEngine.Plan(desired, PlanEngineTests.Deployed(Shop), new PlanOptions { Restart = ["api"] });

        Assert.Equal(
            ["api[1]:Restart", "api[2]:Restart", "api[3]:Create", "db[1]:NoOp"],
            plan.Actions.Select(a => $"{a.Service}[{a.Replica}]:{a.Action}").Order(StringComparer.Ordinal));
        Assert.Contains("  ~ restart api[1]  # restart requested", plan.ToString());
        Assert.Equal(new PlanSummary(Add: 1, Change: 2, Destroy: 0), plan.Summary);
    }
}

/// <summary><c>up --no-deps SERVICE</c>: the named services alone.</summary>
public sealed class NoDepsPlanTests
{
    [Fact]
    public void Plan_of_named_services_without_their_dependencies_leaves_the_dependencies_out()
    {
        var shop = Project(Service("db", "postgres:16"), Service("api", "shop/api:1").DependingOn("db"));

        var withDeps = PlanEngine.Plan(shop, ObservedState.Empty, new PlanOptions { Services = ["api"] });
        var alone = PlanEngine.Plan(shop, ObservedState.Empty, new PlanOptions { Services = ["api"], NoDeps = true });

        Assert.Equal(["db", "api"], withDeps.Actions.Select(a => a.Service));
        Assert.Equal(["api"], alone.Actions.Select(a => a.Service));
    }
}
