using Nanokit.Core.Model;
using Nanokit.Core.Plan;
using Xunit;
using static Nanokit.Core.Tests.Graph.TestProjects;

namespace Nanokit.Core.Tests.Plan;

/// <summary>Compose's restart as the planner (and so heal and drift) applies it to a replica that exited.</summary>
public sealed class PlanRestartTests
{
    private static PlanAction AfterExit(RestartMode? restart, int exitCode)
    {
        var job = Service("job") with { Restart = restart };
        var observed = new ObservedState([new ObservedReplica("job", 1, ConfigHash.Compute(job), ReplicaState.Exited, exitCode, "c1")]);
        return Assert.Single(PlanEngine.Plan(Project(job), observed).Actions);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(137)]
    public void Restart_no_leaves_an_exited_replica_alone_whatever_its_exit_code(int exitCode)
    {
        var action = AfterExit(RestartMode.No, exitCode);
        Assert.Equal((ActionType.NoOp, $"exited ({exitCode}); restart: no"), (action.Action, action.Cause));
    }

    [Fact]
    public void On_failure_starts_again_after_a_non_zero_exit_only()
    {
        Assert.Equal((ActionType.NoOp, "exited (0); restart: on-failure"), (AfterExit(RestartMode.OnFailure, 0).Action, AfterExit(RestartMode.OnFailure, 0).Cause));
        Assert.Equal((ActionType.Start, "exited (3)"), (AfterExit(RestartMode.OnFailure, 3).Action, AfterExit(RestartMode.OnFailure, 3).Cause));
    }

    [Theory]
    [InlineData(RestartMode.Always, 0)]
    [InlineData(RestartMode.Always, 2)]
    [InlineData(RestartMode.UnlessStopped, 0)]
    [InlineData(RestartMode.UnlessStopped, 2)]
    public void Always_and_unless_stopped_start_again_after_any_exit(RestartMode mode, int exitCode) =>
        Assert.Equal(ActionType.Start, AfterExit(mode, exitCode).Action);

    [Fact]
    public void Without_restart_nanokit_heals_an_exited_replica_as_before()
    {
        Assert.Equal(ActionType.Start, AfterExit(null, 0).Action);
        Assert.Equal(ActionType.Start, AfterExit(null, 1).Action);
    }

    [Fact]
    public void A_completed_one_shot_with_restart_no_is_not_drift()
    {
        var job = Service("migrate") with { Restart = RestartMode.No };
        var observed = new ObservedState([new ObservedReplica("migrate", 1, ConfigHash.Compute(job), ReplicaState.Exited, 0, "c1")]);
        var plan = PlanEngine.Plan(Project(job), observed);
        Assert.False(plan.HasChanges);
        Assert.Equal(PlanTextRenderer.NoChanges, plan.ToString());
    }

    private static PlanAction Counted(ServiceSpec job, int exitCode, params RestartCount[] counts)
    {
        var observed = new ObservedState([new ObservedReplica(job.Name, 1, ConfigHash.Compute(job), ReplicaState.Exited, exitCode, "c1")]);
        return Assert.Single(PlanEngine.Plan(Project(job), observed, new PlanOptions { RestartCounts = [.. counts] }).Actions);
    }

    [Fact]
    public void On_failure_with_a_bound_starts_again_until_the_replica_was_restarted_that_many_times()
    {
        var job = Service("job") with { Restart = RestartMode.OnFailure, RestartAttempts = 3 };
        var hash = ConfigHash.Compute(job);
        Assert.Equal((ActionType.Start, "exited (1); restart 1 of 3"), (Counted(job, 1).Action, Counted(job, 1).Cause));
        var third = Counted(job, 1, new RestartCount("job", 1, hash, 2));
        Assert.Equal((ActionType.Start, "exited (1); restart 3 of 3"), (third.Action, third.Cause));
        var reached = Counted(job, 1, new RestartCount("job", 1, hash, 3));
        Assert.Equal((ActionType.NoOp, "exited (1); restart on-failure:3 reached"), (reached.Action, reached.Cause));
        Assert.Equal((ActionType.NoOp, "exited (0); restart: on-failure"), (Counted(job, 0).Action, Counted(job, 0).Cause));
    }

    [Fact]
    public void A_restart_count_of_another_definition_or_replica_does_not_hold_a_replica_back()
    {
        var job = Service("job") with { Restart = RestartMode.OnFailure, RestartAttempts = 1 };
        Assert.Equal(ActionType.Start, Counted(job, 2, new RestartCount("job", 1, "an-older-definition", 5)).Action);
        Assert.Equal(ActionType.Start, Counted(job, 2, new RestartCount("job", 2, ConfigHash.Compute(job), 5)).Action);
        Assert.Equal(ActionType.Start, Counted(job, 2, new RestartCount("other", 1, ConfigHash.Compute(job), 5)).Action);
    }

    [Fact]
    public void A_bound_from_max_attempts_applies_to_always_and_its_plan_says_so()
    {
        var web = Service("web") with { Restart = RestartMode.Always, RestartAttempts = 2 };
        var reached = Counted(web, 0, new RestartCount("web", 1, ConfigHash.Compute(web), 2));
        Assert.Equal((ActionType.NoOp, "exited (0); restart always, max_attempts 2 reached"), (reached.Action, reached.Cause));
        Assert.False(PlanEngine.Plan(Project(web), new ObservedState([new ObservedReplica("web", 1, ConfigHash.Compute(web), ReplicaState.Exited, 0, "c1")]), new PlanOptions { RestartCounts = [new RestartCount("web", 1, ConfigHash.Compute(web), 2)] }).HasChanges);
    }

    [Fact]
    public void On_failure_zero_never_brings_a_failed_replica_back() =>
        Assert.Equal((ActionType.NoOp, "exited (1); restart on-failure:0 reached"), (Counted(Service("job") with { Restart = RestartMode.OnFailure, RestartAttempts = 0 }, 1).Action, Counted(Service("job") with { Restart = RestartMode.OnFailure, RestartAttempts = 0 }, 1).Cause));

    [Fact]
    public void The_plan_text_says_which_replicas_it_leaves_exited_because_their_bound_is_reached()
    {
        var job = Service("job") with { Restart = RestartMode.OnFailure, RestartAttempts = 3 };
        var observed = new ObservedState([new ObservedReplica("job", 1, ConfigHash.Compute(job), ReplicaState.Exited, 1, "c1")]);
        var plan = PlanEngine.Plan(Project(job), observed, new PlanOptions { RestartCounts = [new RestartCount("job", 1, ConfigHash.Compute(job), 3)] });
        Assert.Equal(PlanTextRenderer.NoChanges + "\n\nLeft exited:\n  job[1]  # exited (1); restart on-failure:3 reached", plan.ToString());
        Assert.False(plan.HasChanges);
    }
}
