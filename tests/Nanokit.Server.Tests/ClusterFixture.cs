using System.Collections.Immutable;
using Google.Protobuf;
using Grpc.Core;
using Nanokit.Server.Api;
using Nanokit.Server.Api.V1;

namespace Nanokit.Server.Tests;

/// <summary>
/// Files every server test shares: a token file (one token per role), a node configuration (simulated runtime, a
/// scratch projects directory) and helpers to call the API as a given role.
/// </summary>
internal sealed class TestFiles : IDisposable
{
    public const string WriteToken = "write-token-for-tests";
    public const string ReadToken = "read-token-for-tests";

    /// <summary>nanokit.server.watch.max-streams of the test nodes: small, so a flood reaches it cheaply.</summary>
    public const int MaxWatches = 24;

    /// <param name="simulated">Every project on the simulated runtime (off: the runtime each file names).</param>
    public TestFiles(bool simulated = true)
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("nanokit-server-tests-").FullName;
        TokenFile = Path.Combine(Directory, "tokens");
        File.WriteAllLines(TokenFile, ["# test tokens", Api.TokenFile.LineFor(WriteToken, Role.Write), Api.TokenFile.LineFor(ReadToken, Role.Read)]);
        ConfigFile = Path.Combine(Directory, "node.conf");
        File.WriteAllText(ConfigFile, $"""
            nanokit.server.simulated-runtime = {(simulated ? "on" : "off")}
            nanokit.server.projects-directory = "{Path.Combine(Directory, "projects")}"
            nanokit.server.intents.sweep-interval = 2s
            nanokit.server.watch.max-streams = {MaxWatches}
            """);
    }

    public string Directory { get; }

    public string TokenFile { get; }

    public string ConfigFile { get; }

    public static Metadata As(string token) => new() { { "authorization", "Bearer " + token } };

    public static ApplyProjectRequest Apply(string yaml)
    {
        var request = new ApplyProjectRequest();
        request.Files.Add(new SourceFile { Name = "nanokit.yml", Content = ByteString.CopyFromUtf8(yaml) });
        return request;
    }

    public static string Project(string name, string image = "nginx:1.27") => $"""
        name: {name}
        runtime: docker
        services:
          db:
            image: postgres:16
          api:
            image: {image}
            depends_on: [db]
        """;

    /// <summary>Waits until <paramref name="project"/> converged <paramref name="generation"/>, as <paramref name="node"/> reads it.</summary>
    public static async Task<Project> ConvergedAsync(ServerNode node, string project, long generation, TimeSpan within)
    {
        var client = new Projects.ProjectsClient(node.Channel);
        Project? seen = null;
        await Eventually.Async(within, async () =>
        {
            seen = await client.GetProjectAsync(new GetProjectRequest { Project = project }, As(ReadToken));
            Assert.True(seen.ObservedGeneration >= generation && seen.Phase == "Converged", $"not converged yet: {seen}");
        });
        return seen!;
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);

}

/// <summary>Three real nodes on one fresh database, shared by the tests of <see cref="ClusterCollection"/>.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    private readonly TestFiles files = new();

    internal ImmutableArray<ServerNode> Nodes { get; private set; } = [];

    internal TestFiles Files => files;

    /// <summary>The cluster's database (for tests that check or change what the nodes stored).</summary>
    internal string Store { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var store = Store = await TestPostgres.CreateDatabaseAsync("nk_server_");
        var first = ServerNode.Start(store, files.TokenFile, files.ConfigFile, seedClusterPort: null);
        Nodes = [first];
        await first.WaitReadyAsync(TimeSpan.FromSeconds(60));
        Nodes = [first, ServerNode.Start(store, files.TokenFile, files.ConfigFile, first.ClusterPort), ServerNode.Start(store, files.TokenFile, files.ConfigFile, first.ClusterPort)];
        await Task.WhenAll(Nodes.Skip(1).Select(n => n.WaitReadyAsync(TimeSpan.FromSeconds(60))));
    }

    public async Task DisposeAsync()
    {
        foreach (var node in Nodes)
        {
            await node.DisposeAsync();
        }

        files.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "three-node cluster";
}
