using System.Collections.Immutable;
using Nanokit.Core.Model;
using Nanokit.Core.Plan;
using Xunit;
using static Nanokit.Core.Tests.Graph.TestProjects;

namespace Nanokit.Core.Tests.Plan;

public sealed class PlanEngineTests
{
    private static readonly ProjectSpec Shop = Project(
        Service("db", "postgres:16"),
        Service("api", "shop/api:1", replicas: 2).DependingOn("db"),
        Service("web", "nginx:1").DependingOn("api"));

    [Fact]
    public void Plan_creates_every_replica_when_nothing_is_deployed()
    {
        var plan = PlanEngine.Plan(Shop, ObservedState.Empty);

        Assert.Equal(
            """
            Nanokit will perform the following actions in project "shop":

            # layer 0
              + create db[1]  # not deployed

            # layer 1
              + create api[1]  # not deployed
              + create api[2]  # not deployed

            # layer 2
              + create web[1]  # not deployed

            Plan: 4 to add, 0 to change, 0 to destroy.
            """,
            plan.ToString());
        Assert.True(plan.HasChanges);
    }

    [Fact]
    public void Plan_of_deployed_services_says_there_are_no_changes()
    {
        var plan = PlanEngine.Plan(Shop, Deployed(Shop));

        Assert.Equal("No changes. Your services match the configuration.", plan.ToString());
        Assert.False(plan.HasChanges);
        Assert.All(plan.Actions, a => Assert.Equal((ActionType.NoOp, "up to date"), (a.Action, a.Cause)));
    }

    [Fact]
    public void Plan_recreates_a_service_when_its_image_changes()
    {
        var desired = Shop with { Services = Shop.Services.SetItem("web", Shop.Services["web"] with { Image = "nginx:2" }) };

        var plan = PlanEngine.Plan(desired, Deployed(Shop));

        Assert.Equal(
            """
            Nanokit will perform the following actions in project "shop":

            # layer 2
            -/+ recreate web[1]  # image changed: nginx:1 -> nginx:2

            Plan: 1 to add, 0 to change, 1 to destroy.
            """,
            plan.ToString());
        var action = plan.Actions.Single(a => a.Action == ActionType.Update);
        Assert.Equal(ConfigHash.Compute(desired.Services["web"]), action.ConfigHash);
        Assert.Equal("web-1", action.ReplicaId);
    }

    [Fact]
    public void A_dependent_declared_with_restart_true_is_restarted_after_its_dependency_is_recreated()
    {
        var declared = Project(
            Service("db", "postgres:16"),
            Service("api", "shop/api:1").DependingOn("db", restart: true),
            Service("web", "nginx:1").DependingOn("api"),
            Service("worker", "shop/worker:1").DependingOn("db"));
        var desired = declared with { Services = declared.Services.SetItem("db", declared.Services["db"] with { Image = "postgres:17" }) };

        var plan = PlanEngine.Plan(desired, Deployed(declared));

        Assert.Equal(
            """
            Nanokit will perform the following actions in project "shop":

            # layer 0
            -/+ recreate db[1]  # image changed: postgres:16 -> postgres:17

            # layer 1
              ~ restart api[1]  # dependency db recreated (depends_on restart: true)

            Plan: 1 to add, 1 to change, 1 to destroy.
            """,
            plan.ToString());
    }

    [Fact]
    public void A_dependent_declared_with_restart_true_is_left_alone_unless_its_dependency_is_recreated()
    {
        var declared = Project(
            Service("db", "postgres:16"),
            Service("api", "shop/api:1").DependingOn("db", restart: true).WithEnvironment("MODE", "a"),
            Service("cache", "redis:7"));
        var cacheChanged = declared with { Services = declared.Services.SetItem("cache", declared.Services["cache"] with { Image = "redis:8" }) };
        var bothChanged = declared with
        {
            Services = declared.Services
                .SetItem("db", declared.Services["db"] with { Image = "postgres:17" })
                .SetItem("api", declared.Services["api"].WithEnvironment("MODE", "b")),
        };

        var unrelated = PlanEngine.Plan(cacheChanged, Deployed(declared));
        var own = PlanEngine.Plan(bothChanged, Deployed(declared));

        Assert.Equal((ActionType.NoOp, "up to date"), unrelated.Actions.Where(a => a.Service == "api").Select(a => (a.Action, a.Cause)).Single());
        Assert.Equal((ActionType.Update, "environment MODE changed"), own.Actions.Where(a => a.Service == "api").Select(a => (a.Action, a.Cause)).Single());
    }

    [Fact]
    public void Plan_names_each_environment_variable_added_changed_or_removed()
    {
        var before = Service("api").WithEnvironment("FOO", "1").WithEnvironment("GONE", "x");
        var after = Service("api").WithEnvironment("FOO", "2").WithEnvironment("BAR", "y");

        var action = Single(PlanEngine.Plan(Project(after), Deployed(Project(before))));

        Assert.Equal((ActionType.Update, "environment BAR added; environment FOO changed; environment GONE removed"), (action.Action, action.Cause));
    }

    [Fact]
    public void Plan_names_every_kind_of_change_it_can_see()
    {
        var before = Service("api");
        var after = before with
        {
            Command = ["serve", "--port", "80"],
            Entrypoint = ["/bin/sh", "-c"],
            WorkingDir = "/srv",
            Ports = [new PortMapping(null, 8080, 80, "tcp")],
            Volumes = [new VolumeMount("volume", "data", "/data", false)],
            Labels = ImmutableSortedDictionary<string, string>.Empty.Add("team", "shop"),
            Healthcheck = new HealthcheckSpec(["CMD", "true"], TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(1), 3, TimeSpan.Zero, false),
            StopGracePeriod = TimeSpan.FromSeconds(2.5),
            RuntimeOptions = ImmutableSortedDictionary<string, string>.Empty.Add("cpus", "2"),
        };

        var action = Single(PlanEngine.Plan(Project(after), Deployed(Project(before))));

        Assert.Equal(
            "command changed; entrypoint changed; working_dir changed: (none) -> /srv; ports changed; volumes changed; "
            + "label team added; healthcheck changed; stop_grace_period changed: 10s -> 2.5s; runtime option cpus added",
            action.Cause);
    }

    [Fact]
    public void Plan_says_config_changed_when_no_applied_definition_explains_the_new_hash()
    {
        var observed = new ObservedState([new ObservedReplica("api", 1, "0ld", ReplicaState.Running, Id: "api-1")]);

        var action = Single(PlanEngine.Plan(Project(Service("api")), observed));

        Assert.Equal((ActionType.Update, "config changed"), (action.Action, action.Cause));
    }

    [Fact]
    public void Plan_never_prints_a_secret_value()
    {
        var before = Service("api", "registry/s3cr3t-tag:1").WithEnvironment("DB_PASSWORD", "s3cr3t", secret: true);
        var after = Service("api", "registry/api:2").WithEnvironment("DB_PASSWORD", "hunter2", secret: true);

        var plan = PlanEngine.Plan(Project(after), Deployed(Project(before)));

        Assert.Equal(
            "image changed: (sensitive value) -> registry/api:2; environment DB_PASSWORD changed",
            Single(plan).Cause);
        foreach (var rendering in new[] { plan.ToString(), plan.ToJson(), PlanJsonRenderer.Render(plan, indented: true) })
        {
            Assert.DoesNotContain("s3cr3t", rendering, StringComparison.Ordinal);
            Assert.DoesNotContain("hunter2", rendering, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Scaling_up_creates_only_the_new_replicas()
    {
        var desired = Project(Service("api", replicas: 3));

        var plan = PlanEngine.Plan(desired, Deployed(Project(Service("api", replicas: 1))));

        Assert.Equal(
            [(1, ActionType.NoOp, "up to date"), (2, ActionType.Create, "not deployed"), (3, ActionType.Create, "not deployed")],
            plan.Actions.Select(a => (a.Replica, a.Action, a.Cause)));
    }

    [Fact]
    public void Scaling_down_deletes_the_highest_replicas()
    {
        var desired = Project(Service("api", replicas: 2));

        var plan = PlanEngine.Plan(desired, Deployed(Project(Service("api", replicas: 4))));

        Assert.Equal(
            """
            Nanokit will perform the following actions in project "shop":

            # layer 0
              - destroy api[3]  # replica 3 above desired 2
              - destroy api[4]  # replica 4 above desired 2

            Plan: 0 to add, 0 to change, 2 to destroy.
            """,
            plan.ToString());
    }

    [Fact]
    public void A_missing_replica_in_the_middle_is_created_in_replica_order()
    {
        var observed = Deployed(Project(Service("api", replicas: 3)));
        observed = new ObservedState(observed.Replicas.RemoveAll(r => r.Replica == 2));

        var plan = PlanEngine.Plan(Project(Service("api", replicas: 3)), observed);

        Assert.Equal([(1, ActionType.NoOp), (2, ActionType.Create), (3, ActionType.NoOp)], plan.Actions.Select(a => (a.Replica, a.Action)));
    }

    [Theory]
    [InlineData(ReplicaState.Exited, 137, ActionType.Start, "exited (137)")]
    [InlineData(ReplicaState.Exited, null, ActionType.Start, "exited")]
    [InlineData(ReplicaState.Unhealthy, null, ActionType.Update, "unhealthy")]
    [InlineData(ReplicaState.Missing, null, ActionType.Create, "missing")]
    [InlineData(ReplicaState.Running, null, ActionType.NoOp, "up to date")]
    public void Plan_repairs_a_current_replica_according_to_its_state(ReplicaState state, int? exitCode, ActionType expected, string cause)
    {
        var api = Service("api");
        var observed = new ObservedState([new ObservedReplica("api", 1, ConfigHash.Compute(api), state, exitCode, "api-1")]);

        var action = Single(PlanEngine.Plan(Project(api), observed));

        Assert.Equal((expected, cause), (action.Action, action.Cause));
    }

    [Fact]
    public void A_stopped_replica_is_started_in_place()
    {
        var api = Service("api");
        var observed = new ObservedState([new ObservedReplica("api", 1, ConfigHash.Compute(api), ReplicaState.Exited, 137, "api-1")]);

        var plan = PlanEngine.Plan(Project(api), observed);

        Assert.EndsWith("  ~ start api[1]  # exited (137)\n\nPlan: 0 to add, 1 to change, 0 to destroy.", plan.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_job_that_completed_successfully_is_not_restarted()
    {
        var migrate = Service("migrate");
        var project = Project(migrate, Service("api").DependingOn("migrate", condition: DependencyCondition.ServiceCompletedSuccessfully));
        var observed = new ObservedState(Deployed(project).Replicas
            .Select(r => r.Service == "migrate" ? r with { State = ReplicaState.Exited, ExitCode = 0 } : r)
            .ToImmutableArray());

        var plan = PlanEngine.Plan(project, observed);

        Assert.False(plan.HasChanges);
        Assert.Equal("completed successfully", plan.Actions.Single(a => a.Service == "migrate").Cause);
    }

    [Fact]
    public void A_second_replica_claiming_the_same_index_is_deleted()
    {
        var api = Service("api");
        var hash = ConfigHash.Compute(api);
        var observed = new ObservedState(
        [
            new ObservedReplica("api", 1, hash, ReplicaState.Running, Id: "b"),
            new ObservedReplica("api", 1, hash, ReplicaState.Running, Id: "a"),
        ]);

        var plan = PlanEngine.Plan(Project(api), observed);

        Assert.Equal(
            [("a", ActionType.NoOp, "up to date"), ("b", ActionType.Delete, "duplicate of replica 1")],
            plan.Actions.Select(a => (a.ReplicaId, a.Action, a.Cause)));
    }

    [Fact]
    public void Actions_are_ordered_by_layer_then_service_then_replica()
    {
        var project = Project(Service("b", replicas: 2), Service("a", replicas: 2), Service("c").DependingOn("a"));
        var observed = new ObservedState([.. Deployed(project).Replicas.Reverse()]);

        var plan = PlanEngine.Plan(project, observed);

        Assert.Equal(
            [(0, "a", 1), (0, "a", 2), (0, "b", 1), (0, "b", 2), (1, "c", 1)],
            plan.Layers.SelectMany(l => l.Actions.Select(a => (l.Index, a.Service, a.Replica))));
    }

    internal static ObservedState Deployed(ProjectSpec project) =>
        new([
            .. project.Services.Values.SelectMany(s => Enumerable.Range(1, s.Replicas).Select(i =>
                new ObservedReplica(s.Name, i, ConfigHash.Compute(s), ReplicaState.Running, Id: $"{s.Name}-{i}", AppliedDefinition: s))),
        ]);

    private static PlanAction Single(ServicePlan plan) => Assert.Single(plan.Actions);
}
