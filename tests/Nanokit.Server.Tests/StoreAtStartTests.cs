using Nanokit.Server.Api.V1;
using Npgsql;

namespace Nanokit.Server.Tests;

/// <summary>
/// A node started while its PostgreSQL cannot be reached keeps trying, one log line per attempt, until SIGTERM; a node
/// whose journal could not create its tables at start (a passing store fault) uses them once the store answers.
/// </summary>
public sealed class StoreAtStartTests : IDisposable
{
    private readonly TestFiles files = new();

    [Fact]
    public async Task A_node_whose_store_is_unreachable_at_start_retries_logging_each_attempt_and_exits_0_on_SIGTERM()
    {
        // A port nothing listens on: every connection attempt is refused.
        var port = LoopbackPort.Free();
        await using var node = ServerNode.Start($"Host=127.0.0.1;Port={port};Username=nanokit;Database=absent", files.TokenFile, files.ConfigFile, seedClusterPort: null);

        await Eventually.Async(TimeSpan.FromSeconds(60), () =>
        {
            Assert.False(node.HasExited, "the node exited:\n" + node.Output);
            Assert.Contains("(attempt 2:", node.Output);
            return Task.CompletedTask;
        });
        Assert.Contains("(attempt 1:", node.Output);
        Assert.Equal(0, await node.TerminateAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task A_node_whose_journal_failed_its_first_use_at_start_converges_its_first_project_once_the_store_answers()
    {
        // The journal's tables are created under this advisory lock: held by another session, the node's first use (its
        // warm-up, the shard coordinator's store) waits past the command timeout and fails, as on a loaded store.
        var store = new NpgsqlConnectionStringBuilder(await TestPostgres.CreateDatabaseAsync("nk_server_")) { CommandTimeout = 5 }.ToString();
        var holder = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(store) { Pooling = false }.ToString());
        await holder.OpenAsync();
        await using (var take = new NpgsqlCommand("SELECT pg_advisory_lock(hashtext('nanokit.persistence.nanokit'));", holder))
        {
            await take.ExecuteNonQueryAsync();
        }

        await using var node = ServerNode.Start(store, files.TokenFile, files.ConfigFile, seedClusterPort: null);
        await node.WaitReadyAsync(TimeSpan.FromSeconds(120));
        await Eventually.Async(TimeSpan.FromSeconds(60), () =>
        {
            Assert.Contains("could not be warmed up at start", node.Output);
            return Task.CompletedTask;
        });
        await holder.DisposeAsync();

        var client = new Projects.ProjectsClient(node.Channel);
        var applied = await client.ApplyProjectAsync(TestFiles.Apply(TestFiles.Project("first-use")), TestFiles.As(TestFiles.WriteToken));
        try
        {
            await TestFiles.ConvergedAsync(node, "first-use", applied.Generation, TimeSpan.FromSeconds(90));
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException($"{e.Message}\n--- node:\n{node.Output}");
        }
    }

    public void Dispose() => files.Dispose();
}
