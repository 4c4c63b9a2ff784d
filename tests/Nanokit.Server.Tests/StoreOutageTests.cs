using Grpc.Core;
using Nanokit.Server.Api.V1;
using Npgsql;

namespace Nanokit.Server.Tests;

/// <summary>A node whose PostgreSQL refuses it: the API answers UNAVAILABLE (retryable), then serves again once the store is back.</summary>
public sealed class StoreOutageTests : IAsyncLifetime
{
    private readonly TestFiles files = new();
    private ServerNode? node;
    private string store = "";

    public async Task InitializeAsync()
    {
        store = await TestPostgres.CreateDatabaseAsync("nk_server_");
        node = ServerNode.Start(store, files.TokenFile, files.ConfigFile, seedClusterPort: null);
        await node.WaitReadyAsync(TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task Calls_are_UNAVAILABLE_while_the_store_refuses_connections_and_served_again_after()
    {
        var client = new Projects.ProjectsClient(node!.Channel);
        var accepted = await client.ApplyProjectAsync(TestFiles.Apply(TestFiles.Project("outage")), TestFiles.As(TestFiles.WriteToken));
        var database = new NpgsqlConnectionStringBuilder(store).Database!;
        await AllowConnectionsAsync(database, false);
        try
        {
            var read = await Assert.ThrowsAsync<RpcException>(() => client.GetProjectAsync(new GetProjectRequest { Project = "outage" }, TestFiles.As(TestFiles.ReadToken)).ResponseAsync);
            Assert.Equal(StatusCode.Unavailable, read.StatusCode);
            var write = await Assert.ThrowsAsync<RpcException>(() => client.ApplyProjectAsync(TestFiles.Apply(TestFiles.Project("outage", "nginx:1.28")), TestFiles.As(TestFiles.WriteToken)).ResponseAsync);
            Assert.Equal(StatusCode.Unavailable, write.StatusCode);
            using var watch = client.WatchProject(new WatchProjectRequest { Project = "outage" }, TestFiles.As(TestFiles.ReadToken), DateTime.UtcNow.AddSeconds(20));
            var watched = await Assert.ThrowsAsync<RpcException>(() => watch.ResponseStream.MoveNext());
            Assert.Equal(StatusCode.Unavailable, watched.StatusCode);
        }
        finally
        {
            await AllowConnectionsAsync(database, true);
        }

        // The refused write left nothing behind; the node serves again.
        await Eventually.Async(TimeSpan.FromSeconds(20), async () =>
        {
            var project = await client.GetProjectAsync(new GetProjectRequest { Project = "outage" }, TestFiles.As(TestFiles.ReadToken));
            Assert.Equal(accepted.Generation, project.Generation);
        });
    }

    public async Task DisposeAsync()
    {
        if (node is not null)
        {
            await node.DisposeAsync();
        }

        files.Dispose();
    }

    /// <summary>What a PostgreSQL that is down looks like to a client: new connections refused, open ones closed.</summary>
    private static async Task AllowConnectionsAsync(string database, bool allow)
    {
        await using var connection = new NpgsqlConnection(Environment.GetEnvironmentVariable("NANOKIT_TEST_POSTGRES"));
        await connection.OpenAsync();
        await using var alter = new NpgsqlCommand($"ALTER DATABASE {database} WITH ALLOW_CONNECTIONS {(allow ? "true" : "false")};", connection);
        await alter.ExecuteNonQueryAsync();
        if (!allow)
        {
            await using var terminate = new NpgsqlCommand("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = @database AND pid <> pg_backend_pid();", connection);
            terminate.Parameters.AddWithValue("database", database);
            await terminate.ExecuteNonQueryAsync();
        }
    }
}
