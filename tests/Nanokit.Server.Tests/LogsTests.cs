using System.Globalization;
using Grpc.Core;
using Nanokit.Cli;
using Nanokit.Server.Api.V1;

namespace Nanokit.Server.Tests;

/// <summary>StreamLogs on two real nodes running a project on the local runtime: whichever node answers, the owner reads.</summary>
public sealed class LogsTests : IAsyncLifetime
{
    private readonly TestFiles files = new(simulated: false);
    private readonly List<ServerNode> nodes = [];

    public async Task InitializeAsync()
    {
        var store = await TestPostgres.CreateDatabaseAsync("nk_server_");
        var first = ServerNode.Start(store, files.TokenFile, files.ConfigFile, seedClusterPort: null);
        nodes.Add(first);
        await first.WaitReadyAsync(TimeSpan.FromSeconds(60));
        nodes.Add(ServerNode.Start(store, files.TokenFile, files.ConfigFile, first.ClusterPort));
        await nodes[1].WaitReadyAsync(TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task Logs_asked_of_the_node_that_does_not_own_the_project_come_from_its_owner_with_their_times_over_gRPC_and_nkapp_logs()
    {
        var yaml = """
            name: remote-logs
            runtime: local
            services:
              talker:
                command: [sh, -c, "echo hello from talker; sleep 1; echo later from talker; exec sleep 60"]
            """;
        var accepted = await new Projects.ProjectsClient(nodes[0].Channel).ApplyProjectAsync(TestFiles.Apply(yaml), TestFiles.As(TestFiles.WriteToken));
        var converged = await TestFiles.ConvergedAsync(nodes[0], "remote-logs", accepted.Generation, TimeSpan.FromSeconds(60));
        var other = nodes.Single(n => n.ClusterAddress != converged.Owner);

        var client = new Projects.ProjectsClient(other.Channel);
        await Eventually.Async(TimeSpan.FromSeconds(10), async () =>
        {
            using var call = client.StreamLogs(new StreamLogsRequest { Project = "remote-logs" }, TestFiles.As(TestFiles.ReadToken), DateTime.UtcNow.AddSeconds(20));
            var lines = new List<LogLine>();
            await foreach (var line in call.ResponseStream.ReadAllAsync())
            {
                lines.Add(line);
            }

            Assert.Contains(lines, l => l.Service == "talker" && l.Replica == 1 && l.Line == "hello from talker" && l.Time == "");
            Assert.Contains(lines, l => l.Line == "later from talker");
        });

        // Each line's time comes apart from its text; since keeps the lines from then on, as the local runtime stored them.
        var stamped = await ReadAsync(client, new StreamLogsRequest { Project = "remote-logs", Timestamps = true });
        Assert.Equal(["hello from talker", "later from talker"], stamped.Select(l => l.Line));
        Assert.All(stamped, l => Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$", l.Time));
        var later = stamped[1].Time;
        Assert.True(DateTimeOffset.Parse(later, CultureInfo.InvariantCulture) - DateTimeOffset.Parse(stamped[0].Time, CultureInfo.InvariantCulture) >= TimeSpan.FromSeconds(0.9));
        var since = await ReadAsync(client, new StreamLogsRequest { Project = "remote-logs", Timestamps = true, Since = later });
        Assert.Equal([("later from talker", later)], since.Select(l => (l.Line, l.Time)));
        var badSince = await Assert.ThrowsAsync<RpcException>(() => ReadAsync(client, new StreamLogsRequest { Project = "remote-logs", Since = "yesterday" }));
        Assert.Equal(StatusCode.InvalidArgument, badSince.StatusCode);

        var directory = Directory.CreateTempSubdirectory("nanokit-remote-logs-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(directory, "nanokit.yml"), yaml);
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            var exit = await Nkapp.RunAsync(["logs", "--tail", "5", "--server", other.Url, "--token", TestFiles.ReadToken], new CliContext(stdout, stderr, directory, new Dictionary<string, string>()));
            Assert.True(exit == 0, stderr.ToString());
            Assert.Contains("talker-1 | hello from talker", stdout.ToString());

            stdout.GetStringBuilder().Clear();
            exit = await Nkapp.RunAsync(["logs", "-t", "--since", later, "--server", other.Url, "--token", TestFiles.ReadToken], new CliContext(stdout, stderr, directory, new Dictionary<string, string>()));
            Assert.True(exit == 0, stderr.ToString());
            Assert.Equal($"talker-1 | {later} later from talker\n", stdout.ToString());
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }

        var unknown = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var call = client.StreamLogs(new StreamLogsRequest { Project = "remote-logs", Services = { "nowhere" } }, TestFiles.As(TestFiles.ReadToken));
            await call.ResponseStream.MoveNext();
        });
        Assert.Equal(StatusCode.InvalidArgument, unknown.StatusCode);
        var missing = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var call = client.StreamLogs(new StreamLogsRequest { Project = "never-applied" }, TestFiles.As(TestFiles.ReadToken));
            await call.ResponseStream.MoveNext();
        });
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);

        // The replica's process must not outlive the test.
        var deleted = await client.DeleteProjectAsync(new DeleteProjectRequest { Project = "remote-logs" }, TestFiles.As(TestFiles.WriteToken));
        await TestFiles.ConvergedAsync(other, "remote-logs", deleted.Generation, TimeSpan.FromSeconds(60));
    }

    private static async Task<List<LogLine>> ReadAsync(Projects.ProjectsClient client, StreamLogsRequest request)
    {
        using var call = client.StreamLogs(request, TestFiles.As(TestFiles.ReadToken), DateTime.UtcNow.AddSeconds(20));
        var lines = new List<LogLine>();
        await foreach (var line in call.ResponseStream.ReadAllAsync())
        {
            lines.Add(line);
        }

        return lines;
    }

    public async Task DisposeAsync()
    {
        foreach (var node in nodes)
        {
            await node.DisposeAsync();
        }

        files.Dispose();
    }
}
