using System.Net;
using System.Net.Http.Headers;
using Grpc.Core;
using Nanokit.Cli;
using Nanokit.Server.Api.V1;

namespace Nanokit.Server.Tests;

/// <summary>
/// <c>nkapp --server URL stop|start|restart</c> against a real node running its projects on the private dockerd: the
/// stopped set is intent (drift checks and heals leave it), start and up bring services back, restart restarts with
/// <c>-t</c> honoured, and a refusal stores nothing.
/// </summary>
public sealed class RemoteRunStateTests(DockerNode docker) : IClassFixture<DockerNode>, IDisposable
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(120);

    private readonly string directory = Directory.CreateTempSubdirectory("nanokit-remote-runstate-").FullName;

    private string[] Write => ["--server", docker.Node.Url, "--token", TestFiles.WriteToken];

    private string[] Read => ["--server", docker.Node.Url, "--token", TestFiles.ReadToken];

    [Fact]
    public async Task Stop_keeps_a_service_stopped_through_a_drift_check_and_a_heal_start_brings_it_back_and_up_starts_what_stop_stopped()
    {
        var name = $"{docker.Prefix}-stop";
        File.WriteAllText(Path.Combine(directory, "nanokit.yml"), PrivateDocker.Project(name));
        var up = await RunAsync([.. Write, "up", "--timeout", "120s"]);
        Assert.True(up.Exit == 0, up.Out + up.Error + docker.Node.Output);

        var stop = await RunAsync([.. Write, "stop", "api"]);

        Assert.True(stop.Exit == 0, stop.Out + stop.Error + docker.Node.Output);
        Assert.Contains($"{name}: generation 2 (stop) accepted", stop.Out);
        Assert.Contains($"{name}: generation 2 (apply): 0 to add, 1 to change, 0 to destroy", stop.Out);
        Assert.Contains("  layer 1: stop api[1]", stop.Out);
        Assert.Matches($@"{name}: generation 2 converged in \d+\.\ds", stop.Out);
        Assert.Equal([$"{name}-db-1"], (await PrivateDocker.RunningAsync(name)).Keys);
        await Eventually.Async(TimeSpan.FromSeconds(30), async () =>
        {
            // The owner records what it observed beside the run; drift reads that from the store.
            var drift = await RunAsync([.. Read, "drift"]);
            Assert.True(drift.Exit == 0, drift.Out + drift.Error);
            Assert.Contains($"{name}: no drift; the runtime matches generation 2", drift.Out);
        });

        // A heal of db (removed by hand) plans the whole project again: api stays stopped.
        var db = (await PrivateDocker.RunningAsync(name))[$"{name}-db-1"];
        await PrivateDocker.RemoveAsync($"{name}-db-1");
        await Eventually.Async(Converge, async () => Assert.NotEqual(db, (await PrivateDocker.RunningAsync(name)).GetValueOrDefault($"{name}-db-1", db)));
        await TestFiles.ConvergedAsync(docker.Node, name, 2, Converge);
        Assert.Equal([$"{name}-db-1"], (await PrivateDocker.RunningAsync(name)).Keys);

        var start = await RunAsync([.. Write, "start", "api"]);

        Assert.True(start.Exit == 0, start.Out + start.Error + docker.Node.Output);
        Assert.Contains($"{name}: generation 3 (start) accepted", start.Out);
        Assert.Contains("  layer 1: start api[1]", start.Out);
        Assert.Equal([$"{name}-api-1", $"{name}-db-1"], (await PrivateDocker.RunningAsync(name)).Keys);

        var stopAll = await RunAsync([.. Write, "stop"]);
        Assert.True(stopAll.Exit == 0, stopAll.Out + stopAll.Error);
        Assert.Empty(await PrivateDocker.RunningAsync(name));
        var again = await RunAsync([.. Write, "up", "--timeout", "120s"]);

        Assert.True(again.Exit == 0, again.Out + again.Error + docker.Node.Output);
        Assert.Contains($"{name}: generation 5 (apply): 0 to add, 2 to change, 0 to destroy", again.Out);
        Assert.Equal([$"{name}-api-1", $"{name}-db-1"], (await PrivateDocker.RunningAsync(name)).Keys);
    }

    [Fact]
    public async Task Restart_t_over_the_server_kills_a_replica_that_ignores_SIGTERM_after_t_and_starts_the_container_again()
    {
        var name = $"{docker.Prefix}-restart";
        File.WriteAllText(Path.Combine(directory, "nanokit.yml"), $"""
            name: {name}
            runtime: docker
            services:
              stubborn:
                image: nanokit-test/busybox:1
                command: [sh, -c, "trap '' TERM; while :; do sleep 0.2; done"]
                network_mode: none
                pull_policy: never
                stop_grace_period: 10m
            """);
        var up = await RunAsync([.. Write, "up", "--timeout", "120s"]);
        Assert.True(up.Exit == 0, up.Out + up.Error + docker.Node.Output);
        var id = (await PrivateDocker.RunningAsync(name))[$"{name}-stubborn-1"];
        var since = DateTimeOffset.UtcNow.AddSeconds(-1);

        var restart = await RunAsync([.. Write, "restart", "-t", "2"]);

        Assert.True(restart.Exit == 0, restart.Out + restart.Error + docker.Node.Output);
        Assert.Contains($"{name}: generation 2 (restart) accepted", restart.Out);
        Assert.Contains("  layer 0: restart stubborn[1]", restart.Out);
        Assert.Matches($@"{name}: generation 2 converged in \d+\.\ds", restart.Out);
        Assert.Equal(id, (await PrivateDocker.RunningAsync(name))[$"{name}-stubborn-1"]);
        var events = await PrivateDocker.EventsAsync(id, since);
        var log = string.Join("\n", events);
        var sigterm = Assert.Single(events, e => e is { Action: "kill", Signal: "15" });
        var sigkill = Assert.Single(events, e => e is { Action: "kill", Signal: "9" });
        Assert.InRange(sigkill.At - sigterm.At, TimeSpan.FromSeconds(1.9), TimeSpan.FromSeconds(120));
        Assert.Contains(events, e => e is { Action: "die", ExitCode: "137" });
        Assert.Contains(events, e => e.Action == "start" && e.At > sigkill.At);
        Assert.True(sigkill.At > sigterm.At, log);
    }

    [Fact]
    public async Task An_unknown_service_or_project_an_undeployed_project_a_bad_timeout_and_a_read_token_are_refused_and_nothing_is_stored()
    {
        var client = new Projects.ProjectsClient(docker.Node.Channel);
        var name = $"{docker.Prefix}-refused";
        File.WriteAllText(Path.Combine(directory, "nanokit.yml"), PrivateDocker.Project(name));
        var accepted = await client.ApplyProjectAsync(TestFiles.Apply(PrivateDocker.Project(name)), TestFiles.As(TestFiles.WriteToken));
        var write = TestFiles.As(TestFiles.WriteToken);

        var service = await RefusedAsync(client.StopServicesAsync(new StopServicesRequest { Project = name, Services = { "api", "nope" } }, write).ResponseAsync);
        var timeout = await RefusedAsync(client.RestartServicesAsync(new RestartServicesRequest { Project = name, StopTimeoutSeconds = -1 }, write).ResponseAsync);
        var missing = await RefusedAsync(client.StartServicesAsync(new StartServicesRequest { Project = $"{name}-never" }, write).ResponseAsync);
        var read = TestFiles.As(TestFiles.ReadToken);
        var denied = new[]
        {
            await RefusedAsync(client.StopServicesAsync(new StopServicesRequest { Project = name }, read).ResponseAsync),
            await RefusedAsync(client.StartServicesAsync(new StartServicesRequest { Project = name }, read).ResponseAsync),
            await RefusedAsync(client.RestartServicesAsync(new RestartServicesRequest { Project = name }, read).ResponseAsync),
        };
        var cliService = await RunAsync([.. Write, "restart", "nope"]);
        var cliDenied = await RunAsync([.. Read, "stop"]);
        using var json = new HttpRequestMessage(HttpMethod.Post, $"/v1/projects/{name}:start") 
        {
            Content = new StringContent("""{"services": ["nope"]}""", System.Text.Encoding.UTF8, "application/json"),
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        json.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestFiles.WriteToken);
        using var transcoded = await docker.Node.Http.SendAsync(json);
        var untouched = await client.GetProjectAsync(new GetProjectRequest { Project = name }, read);

        Assert.Equal((StatusCode.InvalidArgument, "no such service in generation 1: nope"), (service.StatusCode, service.Status.Detail));
        Assert.Equal((StatusCode.InvalidArgument, "stop_timeout_seconds -1: a stop timeout cannot be negative"), (timeout.StatusCode, timeout.Status.Detail));
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
        Assert.All(denied, e => Assert.Equal(StatusCode.PermissionDenied, e.StatusCode));
        Assert.Equal((1, $"{name}: no such service in generation 1: nope"), (cliService.Exit, cliService.Error.Trim()));
        Assert.Equal(1, cliDenied.Exit);
        Assert.Contains("PermissionDenied", cliDenied.Error);
        Assert.Equal(HttpStatusCode.BadRequest, transcoded.StatusCode);
        Assert.Contains("no such service in generation 1: nope", await transcoded.Content.ReadAsStringAsync());
        Assert.Equal((accepted.Generation, DesiredState.Deployed), (untouched.Generation, untouched.DesiredState));

        await client.DeleteProjectAsync(new DeleteProjectRequest { Project = name }, write);
        var undeployed = await RefusedAsync(client.StopServicesAsync(new StopServicesRequest { Project = name }, write).ResponseAsync);
        var cliUndeployed = await RunAsync([.. Write, "start"]);

        Assert.Equal((StatusCode.FailedPrecondition, "nothing is applied: generation 2 is undeployed; run `nkapp up` first"), (undeployed.StatusCode, undeployed.Status.Detail));
        Assert.Equal((1, $"{name}: nothing is applied: generation 2 is undeployed; run `nkapp up` first"), (cliUndeployed.Exit, cliUndeployed.Error.Trim()));
        Assert.Equal(2, (await client.GetProjectAsync(new GetProjectRequest { Project = name }, read)).Generation);
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static async Task<RpcException> RefusedAsync<T>(Task<T> call) => await Assert.ThrowsAsync<RpcException>(async () => await call);

    private async Task<(int Exit, string Out, string Error)> RunAsync(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await Nkapp.RunAsync(args, new CliContext(stdout, stderr, directory, new Dictionary<string, string>()));
        return (exit, stdout.ToString(), stderr.ToString());
    }
}
