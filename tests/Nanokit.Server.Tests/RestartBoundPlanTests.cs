using Nanokit.Server.Api.V1;

namespace Nanokit.Server.Tests;

/// <summary>
/// PlanProject and CheckDrift plan with the restart counts the owner keeps: a replica whose <c>on-failure:1</c> is spent is
/// planned to stay exited, as the owner leaves it. A real node running a real process on the local runtime (the
/// simulated runtime's replicas cannot be made to exit from outside the node).
/// </summary>
public sealed class RestartBoundPlanTests : IAsyncLifetime
{
    private readonly TestFiles files = new(simulated: false);
    private ServerNode? node;

    public async Task InitializeAsync()
    {
        node = ServerNode.Start(await TestPostgres.CreateDatabaseAsync("nk_server_"), files.TokenFile, files.ConfigFile, seedClusterPort: null);
        await node.WaitReadyAsync(TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task Plan_and_drift_leave_exited_a_replica_whose_on_failure_bound_the_owner_has_spent()
    {
        const string yaml = """
            name: spent-bound
            runtime: local
            services:
              crasher:
                command: [sh, -c, "sleep 0.2; exit 3"]
                restart: on-failure:1
            """;
        var client = new Projects.ProjectsClient(node!.Channel);
        await client.ApplyProjectAsync(TestFiles.Apply(yaml), TestFiles.As(TestFiles.WriteToken));

        // The heal brings the replica back once; when it has exited again the owner leaves it, and so must both plans.
        CheckDriftResponse? drift = null;
        PlanProjectResponse? plan = null;
        await Eventually.Async(TimeSpan.FromSeconds(60), async () =>
        {
            drift = await client.CheckDriftAsync(new CheckDriftRequest { Project = "spent-bound" }, TestFiles.As(TestFiles.ReadToken));
            plan = await client.PlanProjectAsync(new PlanProjectRequest { Source = TestFiles.Apply(yaml) }, TestFiles.As(TestFiles.ReadToken));
            Assert.Contains("exited (3); restart on-failure:1 reached", drift.Plan);
            Assert.Contains("exited (3); restart on-failure:1 reached", plan.Text);
        });

        Assert.False(drift!.Drifted, drift.Plan);
        Assert.False(plan!.HasChanges, plan.Text);
        Assert.DoesNotContain("restart 1 of 1", drift.Plan);

        var deleted = await client.DeleteProjectAsync(new DeleteProjectRequest { Project = "spent-bound" }, TestFiles.As(TestFiles.WriteToken));
        await TestFiles.ConvergedAsync(node, "spent-bound", deleted.Generation, TimeSpan.FromSeconds(60));
    }

    public async Task DisposeAsync()
    {
        if (node is not null)
        {
            await node.DisposeAsync();
        }

        files.Dispose();
    }
}
