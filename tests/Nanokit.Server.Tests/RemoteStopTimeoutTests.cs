using Grpc.Core;
using Nanokit.Cli;
using Nanokit.Server.Api.V1;

namespace Nanokit.Server.Tests;

/// <summary>A real node running its projects on the private dockerd, for <see cref="RemoteStopTimeoutTests"/>.</summary>
public sealed class DockerNode : IAsyncLifetime
{
    internal TestFiles Files { get; } = new(simulated: false);

    internal ServerNode Node { get; private set; } = null!;

    /// <summary>Starts every project name of these tests, so what they leave on the daemon can be removed.</summary>
    internal string Prefix { get; } = "t" + Guid.NewGuid().ToString("N")[..6];

    public async Task InitializeAsync()
    {
        Node = ServerNode.Start(await TestPostgres.CreateDatabaseAsync("nk_server_"), Files.TokenFile, Files.ConfigFile, seedClusterPort: null, environment: PrivateDocker.NodeEnvironment);
        await Node.WaitReadyAsync(TimeSpan.FromSeconds(120));
    }

    public async Task DisposeAsync()
    {
        await Node.DisposeAsync();
        await PrivateDocker.RemoveProjectsAsync(Prefix);
        Files.Dispose();
    }
}

/// <summary>
/// <c>nkapp --server URL down -t N</c> as <c>docker compose down -t N</c>: the daemon's own log shows how long each
/// container was given between SIGTERM and SIGKILL; and the API refuses a timeout that cannot be one.
/// </summary>
public sealed class RemoteStopTimeoutTests(DockerNode docker) : IClassFixture<DockerNode>, IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("nanokit-remote-stop-").FullName;

    [Fact]
    public async Task Down_t_over_the_server_kills_a_replica_that_ignores_SIGTERM_after_t_and_the_next_down_gives_it_its_stop_grace_period()
    {
        var name = $"{docker.Prefix}-down-t";
        var (sigterm, sigkill) = await UpThenDownAsync(name, stopGracePeriod: "10m", generation: 2, "down", "-t", "2");
        Assert.InRange(sigkill - sigterm, TimeSpan.FromSeconds(1.9), TimeSpan.FromSeconds(120));

        // The timeout belonged to that down: the next one (a new generation) stops with the file's stop_grace_period.
        (sigterm, sigkill) = await UpThenDownAsync(name, stopGracePeriod: "4s", generation: 4, "down");
        Assert.InRange(sigkill - sigterm, TimeSpan.FromSeconds(3.9), TimeSpan.FromSeconds(120));
    }

    [Theory]
    [InlineData(-1.0, "a stop timeout cannot be negative")]
    [InlineData(double.NaN, "a stop timeout must be a finite number of seconds")]
    [InlineData(double.PositiveInfinity, "a stop timeout must be a finite number of seconds")]
    [InlineData(86_401.0, "a stop timeout cannot be longer than a day (24h)")]
    public async Task DeleteProject_refuses_a_stop_timeout_that_cannot_be_one_as_INVALID_ARGUMENT_and_stores_nothing(double seconds, string why)
    {
        var client = new Projects.ProjectsClient(docker.Node.Channel);
        var name = $"{docker.Prefix}-refused";
        var accepted = await client.ApplyProjectAsync(TestFiles.Apply(Stubborn(name, "1s")), TestFiles.As(TestFiles.WriteToken));

        var refused = await Assert.ThrowsAsync<RpcException>(async () =>
            await client.DeleteProjectAsync(new DeleteProjectRequest { Project = name, StopTimeoutSeconds = seconds }, TestFiles.As(TestFiles.WriteToken)));

        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.EndsWith(": " + why, refused.Status.Detail);
        Assert.StartsWith("stop_timeout_seconds ", refused.Status.Detail);
        var project = await client.GetProjectAsync(new GetProjectRequest { Project = name }, TestFiles.As(TestFiles.ReadToken));
        Assert.Equal((accepted.Generation, DesiredState.Deployed), (project.Generation, project.DesiredState));
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);

    /// <summary>
    /// A replica whose shell ignores SIGTERM, so that only SIGKILL ends it: the gap between the daemon's two kill
    /// events is the grace period it was given.
    /// </summary>
    private static string Stubborn(string name, string stopGracePeriod) => $"""
        name: {name}
        runtime: docker
        services:
          stubborn:
            image: nanokit-test/busybox:1
            command: [sh, -c, "trap '' TERM; while :; do sleep 0.2; done"]
            network_mode: none
            pull_policy: never
            stop_grace_period: {stopGracePeriod}
        """;

    /// <summary>Ups the stubborn project through nkapp --server, downs it with <paramref name="down"/>, and reads the daemon's log.</summary>
    private async Task<(DateTimeOffset Sigterm, DateTimeOffset Sigkill)> UpThenDownAsync(string name, string stopGracePeriod, long generation, params string[] down)
    {
        File.WriteAllText(Path.Combine(directory, "nanokit.yml"), Stubborn(name, stopGracePeriod));
        string[] server = ["--server", docker.Node.Url, "--token", TestFiles.WriteToken];
        var up = await RunAsync([.. server, "up", "--timeout", "120s"]);
        Assert.True(up.Exit == 0, up.Out + up.Error + docker.Node.Output);
        // By id: the daemon's --since counts whole seconds, so a name would also match the previous down's container.
        var id = (await PrivateDocker.RunningAsync(name))[$"{name}-stubborn-1"];
        var since = DateTimeOffset.UtcNow.AddSeconds(-1);

        var downed = await RunAsync([.. server, .. down]);

        Assert.True(downed.Exit == 0, downed.Out + downed.Error + docker.Node.Output);
        Assert.Contains($"{name}: generation {generation} (undeployed) accepted", downed.Out);
        Assert.Empty(await PrivateDocker.RunningAsync(name));
        var events = await PrivateDocker.EventsAsync(id, since);
        var log = string.Join("\n", events);
        var sigterm = Assert.Single(events, e => e is { Action: "kill", Signal: "15" });
        var sigkill = Assert.Single(events, e => e is { Action: "kill", Signal: "9" });
        Assert.Contains(events, e => e is { Action: "die", ExitCode: "137" });
        Assert.True(sigkill.At > sigterm.At, log);
        return (sigterm.At, sigkill.At);
    }

    private async Task<(int Exit, string Out, string Error)> RunAsync(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await Nkapp.RunAsync(args, new CliContext(stdout, stderr, directory, new Dictionary<string, string>()));
        return (exit, stdout.ToString(), stderr.ToString());
    }
}
