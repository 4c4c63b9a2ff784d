using Nanokit.Server.Api.V1;

namespace Nanokit.Server.Tests;

/// <summary>
/// The stopped set is part of the stored intent, not of one node's memory: a node that adopts the project after its
/// owner was SIGKILLed heals it and leaves the stopped service stopped.
/// </summary>
public sealed class RunStateFailoverTests : IAsyncLifetime
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(120);

    private readonly TestFiles files = new(simulated: false);
    private readonly List<ServerNode> nodes = [];
    private readonly string name = "t" + Guid.NewGuid().ToString("N")[..6] + "-failover";
    private string store = "";

    public async Task InitializeAsync() => store = await TestPostgres.CreateDatabaseAsync("nk_server_");

    public async Task DisposeAsync()
    {
        foreach (var node in nodes)
        {
            await node.DisposeAsync();
        }

        await PrivateDocker.RemoveProjectsAsync(name);
        files.Dispose();
    }

    [Fact]
    public async Task A_node_that_adopts_a_project_after_its_owner_was_SIGKILLed_heals_it_and_leaves_the_stopped_service_stopped()
    {
        var first = await StartAsync();
        var client = new Projects.ProjectsClient(first.Channel);
        var applied = await client.ApplyProjectAsync(TestFiles.Apply(PrivateDocker.Project(name)), TestFiles.As(TestFiles.WriteToken));
        await TestFiles.ConvergedAsync(first, name, applied.Generation, Converge);
        var stopped = await client.StopServicesAsync(new StopServicesRequest { Project = name, Services = { "api" } }, TestFiles.As(TestFiles.WriteToken));
        await TestFiles.ConvergedAsync(first, name, stopped.Generation, Converge);
        Assert.Equal([$"{name}-db-1"], (await PrivateDocker.RunningAsync(name)).Keys);

        first.Kill();
        var second = await StartAsync();
        var db = (await PrivateDocker.RunningAsync(name))[$"{name}-db-1"];
        await PrivateDocker.RemoveAsync($"{name}-db-1");

        await Eventually.Async(Converge, async () => Assert.NotEqual(db, (await PrivateDocker.RunningAsync(name)).GetValueOrDefault($"{name}-db-1", db)));
        var project = await TestFiles.ConvergedAsync(second, name, stopped.Generation, Converge);
        Assert.Equal(second.ClusterAddress, project.Owner);
        Assert.Equal([$"{name}-db-1"], (await PrivateDocker.RunningAsync(name)).Keys);
        Assert.Contains(project.Replicas, r => r is { Service: "api", State: "exited" } or { Service: "api", State: "stopped" });
    }

    private async Task<ServerNode> StartAsync()
    {
        var node = ServerNode.Start(store, files.TokenFile, files.ConfigFile, seedClusterPort: null, environment: PrivateDocker.NodeEnvironment);
        nodes.Add(node);
        await node.WaitReadyAsync(TimeSpan.FromSeconds(120));
        return node;
    }
}
