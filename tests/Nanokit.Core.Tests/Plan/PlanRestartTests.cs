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
}
