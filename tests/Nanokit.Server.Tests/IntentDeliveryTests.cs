using System.Collections.Immutable;
using System.Globalization;
using System.Text.RegularExpressions;
using Nanokit.Server.Api.V1;
using Npgsql;

namespace Nanokit.Server.Tests;

/// <summary>Three real nodes on a fresh database, for tests that count what the nodes send: nothing else runs on them.</summary>
public sealed class QuietCluster : IAsyncLifetime
{
    internal TestFiles Files { get; } = new();

    internal ImmutableArray<ServerNode> Nodes { get; private set; } = [];

    internal string Store { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Store = await TestPostgres.CreateDatabaseAsync("nk_server_");
        var first = ServerNode.Start(Store, Files.TokenFile, Files.ConfigFile, seedClusterPort: null);
        Nodes = [first];
        await first.WaitReadyAsync(TimeSpan.FromSeconds(120));
        Nodes = [first, ServerNode.Start(Store, Files.TokenFile, Files.ConfigFile, first.ClusterPort), ServerNode.Start(Store, Files.TokenFile, Files.ConfigFile, first.ClusterPort)];
        await Task.WhenAll(Nodes.Skip(1).Select(n => n.WaitReadyAsync(TimeSpan.FromSeconds(120))));
    }

    public async Task DisposeAsync()
    {
        foreach (var node in Nodes)
        {
            await node.DisposeAsync();
        }

        Files.Dispose();
    }
}

/// <summary>How often the nodes send a stored intent to its project: once it is acknowledged, never again.</summary>
public sealed partial class IntentDeliveryTests(QuietCluster cluster) : IClassFixture<QuietCluster>
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task An_acknowledged_intent_is_not_sent_again_by_any_node_however_many_sweeps_pass()
    {
        var nodes = cluster.Nodes;
        var accepted = await new Projects.ProjectsClient(nodes[0].Channel).ApplyProjectAsync(TestFiles.Apply(TestFiles.Project("acked")), TestFiles.As(TestFiles.WriteToken));
        await TestFiles.ConvergedAsync(nodes[0], "acked", accepted.Generation, Within);

        // The owner's status report is lost (as when its write fails for good): the store now says the intent is
        // pending although the project accepted it, so every sweep finds it.
        await using (var connection = new NpgsqlConnection(cluster.Store))
        {
            await connection.OpenAsync();
            await using var forget = new NpgsqlCommand("UPDATE nanokit_status SET accepted_generation = 0 WHERE project = 'acked';", connection);
            Assert.Equal(1, await forget.ExecuteNonQueryAsync());
        }

        var swept = await CountersAsync(nodes, "nanokit_intent_sweeps_total");
        await SweptAgainAsync(nodes, swept, 2);
        var delivered = (await CountersAsync(nodes, "nanokit_intent_deliveries_total")).Sum();
        Assert.True(delivered >= 1, "the intent was never delivered");

        swept = await CountersAsync(nodes, "nanokit_intent_sweeps_total");
        await SweptAgainAsync(nodes, swept, 3);
        Assert.Equal(delivered, (await CountersAsync(nodes, "nanokit_intent_deliveries_total")).Sum());
    }

    [Fact]
    public async Task One_node_sends_a_projects_intents_and_the_others_send_none()
    {
        var nodes = cluster.Nodes;
        var before = await CountersAsync(nodes, "nanokit_intent_deliveries_total");
        for (var i = 0; i < 4; i++)
        {
            // Through each node in turn: where an intent is written says nothing about who sends it.
            var accepted = await new Projects.ProjectsClient(nodes[i % nodes.Length].Channel).ApplyProjectAsync(
                TestFiles.Apply(TestFiles.Project("single", $"nginx:1.{i}")), TestFiles.As(TestFiles.WriteToken));
            await TestFiles.ConvergedAsync(nodes[0], "single", accepted.Generation, Within);
        }

        var sent = (await CountersAsync(nodes, "nanokit_intent_deliveries_total")).Zip(before, (after, at) => after - at).ToList();
        Assert.True(sent.Count(n => n > 0) == 1, $"deliveries per node: {string.Join(", ", sent)}");
    }

    /// <summary>The deliveries counter of each node, read from its /metrics.</summary>
    internal static Task<long[]> DeliveriesAsync(ImmutableArray<ServerNode> nodes) => CountersAsync(nodes, "nanokit_intent_deliveries_total");

    /// <summary>Waits until every node swept <paramref name="more"/> times since <paramref name="before"/>.</summary>
    private static Task SweptAgainAsync(ImmutableArray<ServerNode> nodes, long[] before, int more) => Eventually.Async(Within, async () =>
    {
        var now = await CountersAsync(nodes, "nanokit_intent_sweeps_total");
        Assert.All(now.Zip(before), p => Assert.True(p.Item1 >= p.Item2 + more, $"swept {p.Item1 - p.Item2} times, waiting for {more}"));
    });

    /// <summary>A counter's value on each node, read from its /metrics (0 before it was first counted).</summary>
    private static async Task<long[]> CountersAsync(ImmutableArray<ServerNode> nodes, string name)
    {
        var values = new long[nodes.Length];
        for (var i = 0; i < nodes.Length; i++)
        {
            var text = await nodes[i].Http.GetStringAsync("/metrics");
            var line = Sample().Matches(text).FirstOrDefault(m => m.Groups["name"].Value == name);
            values[i] = line is null ? 0 : (long)double.Parse(line.Groups["value"].Value, CultureInfo.InvariantCulture);
        }

        return values;
    }

    [GeneratedRegex(@"^(?<name>[a-z_]+)(\{[^}]*\})? (?<value>[0-9.e+]+)", RegexOptions.Multiline)]
    private static partial Regex Sample();
}

/// <summary>The node that sends a project's intents is killed: another takes them over, and nothing written is lost.</summary>
public sealed class IntentSenderFailoverTests(QuietCluster cluster) : IClassFixture<QuietCluster>
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(180);

    [Fact]
    public async Task An_intent_written_after_its_sender_was_killed_converges()
    {
        var nodes = cluster.Nodes;
        var before = await IntentDeliveryTests.DeliveriesAsync(nodes);
        var first = await new Projects.ProjectsClient(nodes[0].Channel).ApplyProjectAsync(TestFiles.Apply(TestFiles.Project("orphan")), TestFiles.As(TestFiles.WriteToken));
        await TestFiles.ConvergedAsync(nodes[0], "orphan", first.Generation, Within);
        var sent = (await IntentDeliveryTests.DeliveriesAsync(nodes)).Zip(before, (after, at) => after - at).ToList();
        var sender = nodes[sent.FindIndex(n => n > 0)];

        sender.Kill();
        var survivor = nodes.First(n => n != sender);
        var second = await new Projects.ProjectsClient(survivor.Channel).ApplyProjectAsync(
            TestFiles.Apply(TestFiles.Project("orphan", "nginx:1.28")), TestFiles.As(TestFiles.WriteToken));

        await TestFiles.ConvergedAsync(survivor, "orphan", second.Generation, Within);
    }
}
