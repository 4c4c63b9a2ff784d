using Grpc.Core;
using Nanokit.Server.Api.V1;

namespace Nanokit.Server.Tests;

/// <summary>
/// Three real nodes on a PostgreSQL of their own (<see cref="PrivatePostgres"/>), so the store can be stopped and
/// started under them. Shared by the tests of <see cref="ClusterFaultTests"/>: each works with the nodes still running.
/// </summary>
public sealed class PrivateCluster : IAsyncLifetime
{
    private readonly List<ServerNode> started = [];

    internal TestFiles Files { get; } = new();

    internal PrivatePostgres Postgres { get; private set; } = null!;

    internal string Store { get; private set; } = "";

    /// <summary>The nodes not stopped by a test.</summary>
    internal IReadOnlyList<ServerNode> Live => [.. started.Where(n => !n.HasExited)];

    public async Task InitializeAsync()
    {
        Postgres = await PrivatePostgres.StartAsync();
        Store = await Postgres.CreateDatabaseAsync("nk_faults");
        var first = ServerNode.Start(Store, Files.TokenFile, Files.ConfigFile, seedClusterPort: null);
        started.Add(first);
        await first.WaitReadyAsync(TimeSpan.FromSeconds(180));
        started.Add(ServerNode.Start(Store, Files.TokenFile, Files.ConfigFile, first.ClusterPort));
        started.Add(ServerNode.Start(Store, Files.TokenFile, Files.ConfigFile, first.ClusterPort));
        await Task.WhenAll(started.Skip(1).Select(n => n.WaitReadyAsync(TimeSpan.FromSeconds(180))));
    }

    /// <summary>Runs a test; a failure carries every node's output (a node that died says why there).</summary>
    internal async Task ExplainedAsync(Func<Task> test)
    {
        try
        {
            await test();
        }
        catch (Exception e)
        {
            var outputs = string.Join("\n", started.Select(n => $"--- node {n.ClusterAddress} (exited: {n.HasExited}):\n{n.Output}"));
            throw new Xunit.Sdk.XunitException($"{e}\n{outputs}");
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var node in started)
        {
            await node.DisposeAsync();
        }

        if (Postgres is not null)
        {
            await Postgres.DisposeAsync();
        }

        Files.Dispose();
    }
}

/// <summary>A node leaving on SIGTERM, and PostgreSQL restarted under a running cluster; the journal is audited after each.</summary>
public sealed class ClusterFaultTests(PrivateCluster cluster) : IClassFixture<PrivateCluster>
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(120);

    [Fact]
    public Task SIGTERM_hands_a_nodes_projects_off_with_no_gap_and_a_generation_applied_right_after_converges() =>
        cluster.ExplainedAsync(SigtermAsync);

    [Fact]
    public Task PostgreSQL_restarted_under_the_cluster_loses_no_accepted_intent_and_the_nodes_reconnect() =>
        cluster.ExplainedAsync(PostgresRestartAsync);

    private async Task SigtermAsync()
    {
        var nodes = cluster.Live;
        Assert.True(nodes.Count >= 2, "the fixture's cluster lost its nodes");
        var before = await ApplyAllAsync(nodes, ["handoff-a", "handoff-b", "handoff-c", "handoff-d"], "nginx:1.27");
        var leaving = nodes.First(n => before.Values.Any(p => p.Owner == n.ClusterAddress));
        var survivors = nodes.Where(n => n != leaving).ToList();
        var handedOff = before.Where(p => p.Value.Owner == leaving.ClusterAddress).Select(p => p.Key).ToList();
        var watchedName = handedOff[0];
        var watched = WatchTests.UntilConvergedAsync(survivors[0], watchedName, before[watchedName].Revision, before[watchedName].Generation + 1);

        Assert.Equal(0, await leaving.TerminateAsync(TimeSpan.FromSeconds(90)));

        // Right after the exit, through a survivor: a new generation of every project the node held.
        var client = Client(survivors[^1]);
        foreach (var name in handedOff)
        {
            var next = await client.ApplyProjectAsync(TestFiles.Apply(TestFiles.Project(name, "nginx:1.28")), TestFiles.As(TestFiles.WriteToken));
            Assert.Equal(before[name].Generation + 1, next.Generation);
        }

        foreach (var name in handedOff)
        {
            var after = await TestFiles.ConvergedAsync(survivors[0], name, before[name].Generation + 1, Converge);
            Assert.Contains(after.Owner, survivors.Select(n => n.ClusterAddress));
        }

        var events = await watched;
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => before[watchedName].Revision + i), events.Select(e => e.Revision));
        Assert.Contains(events, e => e.EventCase == ProjectEvent.EventOneofCase.IntentAccepted && e.Generation == before[watchedName].Generation + 1);
        Assert.Contains(events[^1].Node, survivors.Select(n => n.ClusterAddress));
        await JournalAudit.AssertOneWriterAtATimeAsync(cluster.Store, handedOff.Count);
    }

    private async Task PostgresRestartAsync()
    {
        var nodes = cluster.Live;
        Assert.True(nodes.Count >= 2, "the fixture's cluster lost its nodes");
        string[] names = ["restart-a", "restart-b", "restart-c"];
        var converged = await ApplyAllAsync(nodes, names, "nginx:1.27");

        // New generations accepted, then the store goes down before the owners can have finished with them.
        var accepted = new Dictionary<string, long>();
        for (var i = 0; i < names.Length; i++)
        {
            var reply = await Client(nodes[i % nodes.Count]).ApplyProjectAsync(TestFiles.Apply(TestFiles.Project(names[i], "nginx:1.28")), TestFiles.As(TestFiles.WriteToken));
            Assert.Equal(converged[names[i]].Generation + 1, reply.Generation);
            accepted[names[i]] = reply.Generation;
        }

        await cluster.Postgres.StopAsync();
        try
        {
            var refused = await Assert.ThrowsAsync<RpcException>(() => Client(nodes[0]).ApplyProjectAsync(TestFiles.Apply(TestFiles.Project(names[0], "nginx:1.29")), TestFiles.As(TestFiles.WriteToken)).ResponseAsync);
            Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
        }
        finally
        {
            await cluster.Postgres.StartAgainAsync();
        }

        foreach (var name in names)
        {
            await TestFiles.ConvergedAsync(nodes[^1], name, accepted[name], Converge);
        }

        // Every node noticed the lost LISTEN connection, reconnected, and serves: a generation applied through each
        // one after the restart converges.
        foreach (var (node, i) in nodes.Select((n, i) => (n, i)))
        {
            Assert.False(node.HasExited, "a node exited with the store:\n" + node.Output);
            Assert.Contains("Intent notifications lost", node.Output);
            await node.WaitReadyAsync(TimeSpan.FromSeconds(60));
            var name = names[i % names.Length];
            var reply = await Client(node).ApplyProjectAsync(TestFiles.Apply(TestFiles.Project(name, $"nginx:1.{30 + i}")), TestFiles.As(TestFiles.WriteToken));
            await TestFiles.ConvergedAsync(node, name, reply.Generation, Converge);
        }

        await JournalAudit.AssertOneWriterAtATimeAsync(cluster.Store, names.Length);
    }

    private static Projects.ProjectsClient Client(ServerNode node) => new(node.Channel);

    /// <summary>Applies each project through the nodes in turn and waits until each converged; the converged status by name.</summary>
    private static async Task<Dictionary<string, Project>> ApplyAllAsync(IReadOnlyList<ServerNode> nodes, string[] names, string image)
    {
        var generations = new Dictionary<string, long>();
        for (var i = 0; i < names.Length; i++)
        {
            var reply = await Client(nodes[i % nodes.Count]).ApplyProjectAsync(TestFiles.Apply(TestFiles.Project(names[i], image)), TestFiles.As(TestFiles.WriteToken));
            generations[names[i]] = reply.Generation;
        }

        var converged = new Dictionary<string, Project>();
        foreach (var name in names)
        {
            converged[name] = await TestFiles.ConvergedAsync(nodes[0], name, generations[name], Converge);
        }

        return converged;
    }
}
