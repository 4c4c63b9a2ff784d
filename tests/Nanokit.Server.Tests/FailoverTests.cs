using Nanokit.Server.Api;
using Nanokit.Server.Api.V1;
using Nanokit.Server.Intents;
using Npgsql;

namespace Nanokit.Server.Tests;

/// <summary>
/// A cluster with no node left, on its own database and nodes. (An owner SIGKILLed, a node leaving on SIGTERM: <see cref="ClusterFaultTests"/>.)
/// </summary>
public sealed class FailoverTests : IDisposable
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(90);
    private readonly TestFiles files = new();
    private readonly List<ServerNode> nodes = [];

    [Fact]
    public async Task An_intent_stored_while_no_node_runs_converges_when_a_node_starts_and_SIGTERM_exits_0()
    {
        var store = await PatientStoreAsync();
        var node = Start(store, null);
        await node.WaitReadyAsync(TimeSpan.FromSeconds(180));
        var accepted = await Client(node).ApplyProjectAsync(TestFiles.Apply(TestFiles.Project("sweep")), TestFiles.As(TestFiles.WriteToken));
        await TestFiles.ConvergedAsync(node, "sweep", accepted.Generation, Converge);
        Assert.Equal(0, await node.TerminateAsync(TimeSpan.FromSeconds(60)));

        // No node runs: the intent is stored (as the API stores it) and its notification reaches no one.
        await using var dataSource = NpgsqlDataSource.Create(store);
        var spec = SpecLoader.Load(TestFiles.Apply(TestFiles.Project("sweep", "nginx:1.28")), Path.Combine(files.Directory, "projects"), Path.GetTempPath());
        var stored = await new IntentStore(dataSource, "nanokit_intents", "nanokit_events", 1).ApplyAsync(spec, "test", CancellationToken.None);
        var generation = stored.Generation;
        Assert.Equal(accepted.Generation + 1, generation);

        var restarted = Start(store, null);
        await restarted.WaitReadyAsync(TimeSpan.FromSeconds(180));
        var project = await TestFiles.ConvergedAsync(restarted, "sweep", generation, Converge);
        Assert.Equal(restarted.ClusterAddress, project.Owner);
    }

    public void Dispose()
    {
        foreach (var node in nodes)
        {
            node.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        files.Dispose();
    }

    private static Projects.ProjectsClient Client(ServerNode node) => new(node.Channel);

    /// <summary>
    /// A fresh database whose connections may take 30 s to open: at a load of 70 on the shared machine a node's first
    /// connection took longer than the test URL's 5 s, and the node gave up at start, which is not what these tests test.
    /// </summary>
    private static async Task<string> PatientStoreAsync() =>
        new NpgsqlConnectionStringBuilder(await TestPostgres.CreateDatabaseAsync("nk_server_")) { Timeout = 30 }.ToString();

    private ServerNode Start(string store, int? seed)
    {
        var node = ServerNode.Start(store, files.TokenFile, files.ConfigFile, seed);
        nodes.Add(node);
        return node;
    }
}
