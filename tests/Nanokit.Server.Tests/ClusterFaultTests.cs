using System.Text.Json;
using Grpc.Core;
using Nanokit.Cli;
using Nanokit.Server.Api.V1;

namespace Nanokit.Server.Tests;

/// <summary>
/// Three real nodes on a PostgreSQL of their own (<see cref="PrivatePostgres"/>, so the store can be stopped and started
/// under them), running their projects on the private dockerd. Shared by the tests of <see cref="ClusterFaultTests"/>:
/// a test that kills or stops a node starts another (<see cref="ReplaceStoppedAsync"/>), so each finds three.
/// </summary>
public sealed class PrivateCluster : IAsyncLifetime
{
    private readonly List<ServerNode> started = [];

    internal TestFiles Files { get; } = new(simulated: false);

    internal PrivatePostgres Postgres { get; private set; } = null!;

    internal string Store { get; private set; } = "";

    /// <summary>Starts every project name of this cluster, so what its tests leave on the daemon can be removed.</summary>
    internal string Prefix { get; } = "f" + Guid.NewGuid().ToString("N")[..6];

    /// <summary>The nodes not stopped by a test.</summary>
    internal IReadOnlyList<ServerNode> Live => [.. started.Where(n => !n.HasExited)];

    public async Task InitializeAsync()
    {
        Postgres = await PrivatePostgres.StartAsync();
        Store = await Postgres.CreateDatabaseAsync("nk_faults");
        var first = Start(seed: null);
        await first.WaitReadyAsync(TimeSpan.FromSeconds(180));
        await ReplaceStoppedAsync();
    }

    /// <summary>Starts nodes (seeded by a live one) until three are live and ready.</summary>
    internal async Task ReplaceStoppedAsync()
    {
        var seed = Live[0].ClusterPort;
        var added = Enumerable.Range(0, 3 - Live.Count).Select(_ => Start(seed)).ToList();
        await Task.WhenAll(added.Select(n => n.WaitReadyAsync(TimeSpan.FromSeconds(180))));
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

        await PrivateDocker.RemoveProjectsAsync(Prefix);
        if (Postgres is not null)
        {
            await Postgres.DisposeAsync();
        }

        Files.Dispose();
    }

    private ServerNode Start(int? seed)
    {
        var node = ServerNode.Start(Store, Files.TokenFile, Files.ConfigFile, seed, environment: PrivateDocker.NodeEnvironment);
        started.Add(node);
        return node;
    }
}

/// <summary>The test classes that share one <see cref="PrivateCluster"/> (it is expensive to start); they run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class PrivateClusterCollection : ICollectionFixture<PrivateCluster>
{
    public const string Name = "three-node cluster on Docker";
}

/// <summary>
/// Projects on Docker spread over three nodes, an owner SIGKILLed, a node leaving on SIGTERM, PostgreSQL restarted
/// under the cluster: what runs is checked on the daemon (container ids, images) and the journal is audited after each.
/// </summary>
[Collection(PrivateClusterCollection.Name)]
public sealed class ClusterFaultTests(PrivateCluster cluster)
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(120);

    [Fact]
    public Task Projects_applied_through_nkapp_and_gRPC_spread_over_the_nodes_and_each_runs_its_containers() =>
        cluster.ExplainedAsync(SpreadAsync);

    [Fact]
    public Task SIGKILL_of_an_owner_its_projects_are_adopted_healed_and_take_new_generations_on_the_others() =>
        cluster.ExplainedAsync(SigkillAsync);

    [Fact]
    public Task SIGTERM_hands_a_nodes_projects_off_with_no_gap_and_a_generation_applied_right_after_converges() =>
        cluster.ExplainedAsync(SigtermAsync);

    [Fact]
    public Task PostgreSQL_restarted_under_the_cluster_loses_no_accepted_intent_and_the_nodes_reconnect() =>
        cluster.ExplainedAsync(PostgresRestartAsync);

    [Fact]
    public Task The_owners_metrics_count_reconciles_actions_failures_drift_heal_latency_and_the_intent_queue() =>
        cluster.ExplainedAsync(MetricsAsync);

    private async Task MetricsAsync()
    {
        var nodes = cluster.Live;
        var name = $"{cluster.Prefix}-metrics";
        var healthy = (await ApplyAllAsync(nodes, [name], 1))[name];
        var owner = nodes.Single(n => n.ClusterAddress == healthy.Owner);
        var api = (await PrivateDocker.RunningAsync(name))[$"{name}-api-1"];
        await PrivateDocker.RemoveAsync($"{name}-api-1");
        await Eventually.Async(Converge, async () => Assert.NotEqual(api, (await PrivateDocker.RunningAsync(name)).GetValueOrDefault($"{name}-api-1", api)));

        // Scraped until the heal is counted (the run that heals may be a retry of a heal that raced the removal).
        await Eventually.Async(TimeSpan.FromSeconds(30), async () =>
        {
            var text = await owner.Http.GetStringAsync("/metrics");
            Assert.True(Sum(text, "nanokit_heal_duration_seconds_count") >= 1, text);
            Assert.InRange(Sum(text, "nanokit_heal_duration_seconds_sum"), 0.001, 120);
            Assert.True(Sum(text, "nanokit_reconciles_total") >= 2, text);
            Assert.True(Sum(text, "nanokit_actions_total") >= 3, text);
            Assert.True(Sum(text, "nanokit_drifts_total") >= 1, text);
            Assert.Contains("# TYPE nanokit_intent_queue_depth gauge", text);
            Assert.Equal(0, Sum(text, "nanokit_intent_queue_depth"));
        });

        // A project whose image is nowhere fails its create after every retry, and its run fails.
        var failing = $"{cluster.Prefix}-metrics-failing";
        var yaml = PrivateDocker.Project(failing).Replace("nanokit-test/busybox:1", "nanokit-test/nowhere:1", StringComparison.Ordinal);
        var accepted = await Client(nodes[0]).ApplyProjectAsync(TestFiles.Apply(yaml), TestFiles.As(TestFiles.WriteToken));
        Project failed = null!;
        await Eventually.Async(Converge, async () =>
        {
            failed = await Client(nodes[0]).GetProjectAsync(new GetProjectRequest { Project = failing }, TestFiles.As(TestFiles.ReadToken));
            Assert.True(failed.Phase == "Failed" && failed.Generation == accepted.Generation, failed.ToString());
        });
        var failedOwner = nodes.Single(n => n.ClusterAddress == failed.Owner);
        var text = await failedOwner.Http.GetStringAsync("/metrics");
        Assert.True(Sum(text, "nanokit_action_failures_total") >= 1, text);
        Assert.True(Sum(text, "nanokit_reconcile_failures_total") >= 1, text);
        var deleted = await Client(nodes[0]).DeleteProjectAsync(new DeleteProjectRequest { Project = failing }, TestFiles.As(TestFiles.WriteToken));
        await TestFiles.ConvergedAsync(nodes[0], failing, deleted.Generation, Converge);
    }

    /// <summary>The sum of a metric's samples over its label sets in Prometheus text (0 when absent).</summary>
    private static double Sum(string text, string metric) => text.Split('\n')
        .Where(line => line.StartsWith(metric + "{", StringComparison.Ordinal) || line.StartsWith(metric + " ", StringComparison.Ordinal))
        .Sum(line => double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));

    private async Task SpreadAsync()
    {
        var nodes = cluster.Live;
        var names = Enumerable.Range(0, 6).Select(i => $"{cluster.Prefix}-spread-{i}").ToArray();
        var directory = Directory.CreateTempSubdirectory("nanokit-fault-cli-").FullName;
        try
        {
            // The first two through `nkapp --server up` (which follows each until converged), the rest through gRPC.
            for (var i = 0; i < 2; i++)
            {
                File.WriteAllText(Path.Combine(directory, "nanokit.yml"), PrivateDocker.Project(names[i]));
                var up = await NkappAsync(directory, "up", "--server", nodes[i].Url, "--token", TestFiles.WriteToken);
                Assert.True(up.Exit == 0, up.Out + up.Error);
                Assert.Matches($@"{names[i]}: generation 1 converged in \d+\.\ds", up.Out);
            }

            var converged = await ApplyAllAsync(nodes, names[2..], 1);
            for (var i = 0; i < 2; i++)
            {
                File.WriteAllText(Path.Combine(directory, "nanokit.yml"), PrivateDocker.Project(names[i]));
                var containers = await PrivateDocker.RunningAsync(names[i]);
                await Eventually.Async(TimeSpan.FromSeconds(10), async () =>
                {
                    // Status names the owner and each replica as the owner saw it: the containers the daemon runs.
                    var status = await NkappAsync(directory, "status", "--format", "json", "--server", nodes[2].Url, "--token", TestFiles.ReadToken);
                    Assert.True(status.Exit == 0, status.Error);
                    using var json = JsonDocument.Parse(status.Out);
                    Assert.Equal("Converged", json.RootElement.GetProperty("phase").GetString());
                    converged[names[i]] = await Client(nodes[0]).GetProjectAsync(new GetProjectRequest { Project = names[i] }, TestFiles.As(TestFiles.ReadToken));
                    Assert.Equal(converged[names[i]].Owner, json.RootElement.GetProperty("owner").GetString());
                    var replicas = json.RootElement.GetProperty("replicas").EnumerateArray().Select(r =>
                        ($"{names[i]}-{r.GetProperty("service").GetString()}-{r.GetProperty("replica").GetInt32()}", r.GetProperty("state").GetString(), r.GetProperty("id").GetString(), r.GetProperty("generation").GetInt64()));
                    Assert.Equal(containers.Select(c => (c.Key, (string?)"running", (string?)c.Value, 1L)), replicas);
                });
            }

            var owners = converged.Values.Select(p => p.Owner).Distinct().ToList();
            Assert.All(owners, o => Assert.Contains(o, nodes.Select(n => n.ClusterAddress)));
            Assert.True(owners.Count >= 2, $"six projects, all owned by {owners[0]}");
            foreach (var name in names)
            {
                Assert.Equal([$"{name}-api-1", $"{name}-db-1"], (await PrivateDocker.RunningAsync(name)).Keys);
            }

            await Eventually.Async(TimeSpan.FromSeconds(10), async () =>
            {
                var project = await Client(nodes[1]).GetProjectAsync(new GetProjectRequest { Project = names[2] }, TestFiles.As(TestFiles.ReadToken));
                Assert.Equal([("api", 1, "running"), ("db", 1, "running")], project.Replicas.Select(r => (r.Service, r.Replica, r.State)));
                Assert.False(project.Replicas.Any(r => r.HasExitCode), project.ToString());
            });
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private async Task SigkillAsync()
    {
        var nodes = cluster.Live;
        // Seven projects on three nodes: the busiest owns at least three, one to change, one to break, one left alone.
        var names = Enumerable.Range(0, 7).Select(i => $"{cluster.Prefix}-kill-{i}").ToArray();
        var before = await ApplyAllAsync(nodes, names, 1);
        var victim = nodes.MaxBy(n => before.Values.Count(p => p.Owner == n.ClusterAddress))!;
        var survivors = nodes.Where(n => n != victim).ToList();
        var owned = names.Where(n => before[n].Owner == victim.ClusterAddress).ToList();
        Assert.True(owned.Count >= 3, $"the busiest of three nodes owns {owned.Count} of seven projects");
        var (removed, changed) = (owned[0], owned[1]);
        var containers = new Dictionary<string, IReadOnlyDictionary<string, string>>();
        foreach (var name in owned)
        {
            containers[name] = await PrivateDocker.RunningAsync(name);
        }

        // A watch opened on a survivor before the kill follows the project through the failover.
        var watched = WatchTests.UntilConvergedAsync(survivors[0], changed, before[changed].Revision, before[changed].Generation + 1);

        victim.Kill();
        // While the owner is dead (its shards not yet moved): a container removed by hand, and a new intent stored.
        await PrivateDocker.RemoveAsync($"{removed}-api-1");
        var next = await Client(survivors[1]).ApplyProjectAsync(TestFiles.Apply(PrivateDocker.Project(changed, 2)), TestFiles.As(TestFiles.WriteToken));
        Assert.Equal(before[changed].Generation + 1, next.Generation);

        // The intent written while its owner was dead converges on a survivor: api recreated from image :2, db adopted.
        var after = await TestFiles.ConvergedAsync(survivors[0], changed, next.Generation, Converge);
        Assert.Contains(after.Owner, survivors.Select(n => n.ClusterAddress));
        var now = await PrivateDocker.RunningAsync(changed);
        Assert.Equal(containers[changed][$"{changed}-db-1"], now[$"{changed}-db-1"]);
        Assert.NotEqual(containers[changed][$"{changed}-api-1"], now[$"{changed}-api-1"]);
        Assert.Equal("nanokit-test/busybox:2", await PrivateDocker.ImageOfAsync(now[$"{changed}-api-1"]));

        // Every other project of the dead owner: adopted by a survivor with the same containers; the one removed by
        // hand is back (a new container), with no new generation.
        await Eventually.Async(Converge, async () =>
        {
            foreach (var name in owned.Where(n => n != changed))
            {
                var project = await Client(survivors[0]).GetProjectAsync(new GetProjectRequest { Project = name }, TestFiles.As(TestFiles.ReadToken));
                Assert.True(project.Owner != victim.ClusterAddress && project.Phase == "Converged", $"{name} not yet adopted: {project}");
                Assert.Equal(before[name].Generation, project.Generation);
                var running = await PrivateDocker.RunningAsync(name);
                Assert.Equal(containers[name].Keys, running.Keys);
                foreach (var (container, id) in running)
                {
                    Assert.True((id == containers[name][container]) == (container != $"{removed}-api-1"), $"{container}: {containers[name][container]} -> {id}");
                }
            }
        });

        // The healed project takes a new generation too.
        var healedNext = await Client(survivors[0]).ApplyProjectAsync(TestFiles.Apply(PrivateDocker.Project(removed, 2)), TestFiles.As(TestFiles.WriteToken));
        await TestFiles.ConvergedAsync(survivors[1], removed, healedNext.Generation, Converge);
        Assert.Equal("nanokit-test/busybox:2", await PrivateDocker.ImageOfAsync((await PrivateDocker.RunningAsync(removed))[$"{removed}-api-1"]));

        var events = await watched;
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => before[changed].Revision + i), events.Select(e => e.Revision));
        Assert.Contains(events, e => e.EventCase == ProjectEvent.EventOneofCase.IntentAccepted && e.Generation == next.Generation);
        Assert.Contains(events[^1].Node, survivors.Select(n => n.ClusterAddress));
        await JournalAudit.AssertOneWriterAtATimeAsync(cluster.Store, names.Length);
        await cluster.ReplaceStoppedAsync();
    }

    private async Task SigtermAsync()
    {
        var nodes = cluster.Live;
        var names = Enumerable.Range(0, 4).Select(i => $"{cluster.Prefix}-handoff-{i}").ToArray();
        var before = await ApplyAllAsync(nodes, names, 1);
        var leaving = nodes.First(n => before.Values.Any(p => p.Owner == n.ClusterAddress));
        var survivors = nodes.Where(n => n != leaving).ToList();
        var handedOff = before.Where(p => p.Value.Owner == leaving.ClusterAddress).Select(p => p.Key).ToList();
        var db = new Dictionary<string, string>();
        foreach (var name in handedOff)
        {
            db[name] = (await PrivateDocker.RunningAsync(name))[$"{name}-db-1"];
        }

        var watchedName = handedOff[0];
        var watched = WatchTests.UntilConvergedAsync(survivors[0], watchedName, before[watchedName].Revision, before[watchedName].Generation + 1);

        Assert.Equal(0, await leaving.TerminateAsync(TimeSpan.FromSeconds(90)));

        // Right after the exit, through a survivor: a new generation of every project the node held.
        var client = Client(survivors[^1]);
        foreach (var name in handedOff)
        {
            var next = await client.ApplyProjectAsync(TestFiles.Apply(PrivateDocker.Project(name, 2)), TestFiles.As(TestFiles.WriteToken));
            Assert.Equal(before[name].Generation + 1, next.Generation);
        }

        foreach (var name in handedOff)
        {
            var after = await TestFiles.ConvergedAsync(survivors[0], name, before[name].Generation + 1, Converge);
            Assert.Contains(after.Owner, survivors.Select(n => n.ClusterAddress));
            var running = await PrivateDocker.RunningAsync(name);
            Assert.Equal(db[name], running[$"{name}-db-1"]);
            Assert.Equal("nanokit-test/busybox:2", await PrivateDocker.ImageOfAsync(running[$"{name}-api-1"]));
        }

        var events = await watched;
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => before[watchedName].Revision + i), events.Select(e => e.Revision));
        Assert.Contains(events, e => e.EventCase == ProjectEvent.EventOneofCase.IntentAccepted && e.Generation == before[watchedName].Generation + 1);
        Assert.Contains(events[^1].Node, survivors.Select(n => n.ClusterAddress));
        await JournalAudit.AssertOneWriterAtATimeAsync(cluster.Store, handedOff.Count);
        await cluster.ReplaceStoppedAsync();
    }

    private async Task PostgresRestartAsync()
    {
        var nodes = cluster.Live;
        var names = Enumerable.Range(0, 3).Select(i => $"{cluster.Prefix}-restart-{i}").ToArray();
        var converged = await ApplyAllAsync(nodes, names, 1);

        // New generations accepted, then the store goes down before the owners can have finished with them.
        var accepted = new Dictionary<string, long>();
        for (var i = 0; i < names.Length; i++)
        {
            var reply = await Client(nodes[i % nodes.Count]).ApplyProjectAsync(TestFiles.Apply(PrivateDocker.Project(names[i], 2)), TestFiles.As(TestFiles.WriteToken));
            Assert.Equal(converged[names[i]].Generation + 1, reply.Generation);
            accepted[names[i]] = reply.Generation;
        }

        await cluster.Postgres.StopAsync();
        try
        {
            var refused = await Assert.ThrowsAsync<RpcException>(() => Client(nodes[0]).ApplyProjectAsync(TestFiles.Apply(PrivateDocker.Project(names[0], 3)), TestFiles.As(TestFiles.WriteToken)).ResponseAsync);
            Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
        }
        finally
        {
            await cluster.Postgres.StartAgainAsync();
        }

        foreach (var name in names)
        {
            await TestFiles.ConvergedAsync(nodes[^1], name, accepted[name], Converge);
            var api = (await PrivateDocker.RunningAsync(name))[$"{name}-api-1"];
            Assert.Equal("nanokit-test/busybox:2", await PrivateDocker.ImageOfAsync(api));
        }

        // Every node noticed the lost LISTEN connection, reconnected, and serves: a generation applied through each
        // one after the restart converges.
        foreach (var (node, i) in nodes.Select((n, i) => (n, i)))
        {
            Assert.False(node.HasExited, "a node exited with the store:\n" + node.Output);
            Assert.Contains("Intent notifications lost", node.Output);
            await node.WaitReadyAsync(TimeSpan.FromSeconds(60));
            var name = names[i % names.Length];
            var reply = await Client(node).ApplyProjectAsync(TestFiles.Apply(PrivateDocker.Project(name, 3 + i)), TestFiles.As(TestFiles.WriteToken));
            await TestFiles.ConvergedAsync(node, name, reply.Generation, Converge);
        }

        await JournalAudit.AssertOneWriterAtATimeAsync(cluster.Store, names.Length);
    }

    private static Projects.ProjectsClient Client(ServerNode node) => new(node.Channel);

    private static async Task<(int Exit, string Out, string Error)> NkappAsync(string directory, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await Nkapp.RunAsync(args, new CliContext(stdout, stderr, directory, new Dictionary<string, string>()));
        return (exit, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Applies each project through the nodes in turn and waits until each converged; the converged status by name.</summary>
    private static async Task<Dictionary<string, Project>> ApplyAllAsync(IReadOnlyList<ServerNode> nodes, string[] names, int version)
    {
        var generations = new Dictionary<string, long>();
        for (var i = 0; i < names.Length; i++)
        {
            var reply = await Client(nodes[i % nodes.Count]).ApplyProjectAsync(TestFiles.Apply(PrivateDocker.Project(names[i], version)), TestFiles.As(TestFiles.WriteToken));
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
