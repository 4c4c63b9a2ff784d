using System.Text.Json;
using Xunit.Abstractions;

namespace Nanokit.Cli.Tests;

/// <summary>
/// nkapp against a Docker daemon that restarts under it. The daemon is a second private one
/// (<see cref="PrivateDockerd"/>): the shared test daemon serves other tests in parallel.
/// </summary>
public sealed class DockerDaemonRestartTests(ITestOutputHelper output) : IDisposable
{
    private const string DaemonDirectory = "/tmp/nanokit-docker-restart";
    private readonly CliRun cli = new();
    private readonly string project = "rs" + Random.Shared.Next(10_000, 99_999);

    public void Dispose() => cli.Dispose();

    /// <summary>
    /// The daemon goes away while <c>up</c> waits for db to become healthy. One-shot <c>up</c> does not retry a run,
    /// so it may report the outage instead of riding it out; either way the <c>up</c> after the restart must converge
    /// (the "then converged"), with exactly one container per replica.
    /// </summary>
    [Fact]
    public async Task Up_interrupted_by_a_docker_daemon_restart_converges_on_the_next_up_without_duplicates()
    {
        await using var daemon = await PrivateDockerd.StartAsync(DaemonDirectory);
        var environment = new Dictionary<string, string> { ["DOCKER_HOST"] = daemon.Host };
        // Short grace periods: the daemon stops its containers on the way down, and a bare sleep ignores SIGTERM.
        cli.Write("nanokit.yml", $"""
            name: {project}
            runtime: docker
            services:
              db:
                image: nanokit-test/busybox:1
                command: [sh, -c, "sleep 3; touch /tmp/ready; exec sleep 3600"]
                healthcheck: {"{"}test: [CMD, test, -f, /tmp/ready], interval: 1s, retries: 60{"}"}
                stop_grace_period: 1s
                network_mode: none
              api:
                image: nanokit-test/busybox:1
                command: [sleep, "3600"]
                deploy: {"{"}replicas: 2{"}"}
                depends_on: {"{"}db: {"{"}condition: service_healthy{"}"}{"}"}
                stop_grace_period: 1s
                network_mode: none
            """);
        using var started = daemon.StartDocker(
            "events", "--since", DateTimeOffset.UtcNow.AddSeconds(-1).ToUnixTimeSeconds().ToString(),
            "--filter", $"label=io.nanokit.project={project}", "--filter", "event=start", "--format", "{{.Actor.Attributes.name}}");
        var firstStart = started.StandardOutput.ReadLineAsync();

        var interrupted = cli.RunAsync(environment, "up", "--timeout", "3m");
        if (await Task.WhenAny(firstStart, interrupted) != firstStart)
        {
            Assert.Fail($"up ended before starting a container: {Describe(await interrupted)}");
        }

        Assert.Equal($"{project}-db-1", await firstStart);
        started.Kill();
        await daemon.StopAsync();
        await daemon.StartAgainAsync();

        var first = await interrupted;
        output.WriteLine($"up interrupted by the restart: {Describe(first)}");
        Assert.True(first.Exit is 0 or 1, Describe(first));
        Assert.DoesNotContain("   at ", first.Out + first.Error);

        var again = await cli.RunAsync(environment, "up", "--timeout", "3m");

        Assert.True(again.Exit == 0, Describe(again));
        var containers = await daemon.DockerAsync(
            "ps", "-a", "--filter", $"label=io.nanokit.project={project}", "--format", "{{.Names}} {{.State}}");
        Assert.Equal(
            [$"{project}-api-1 running", $"{project}-api-2 running", $"{project}-db-1 running"],
            containers.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
        var status = await cli.RunAsync(environment, "status", "--format", "json");
        Assert.True(status.Exit == 0, Describe(status));
        using var json = JsonDocument.Parse(status.Out);
        Assert.All(json.RootElement.GetProperty("replicas").EnumerateArray(), r =>
        {
            Assert.Equal("running", r.GetProperty("state").GetString());
            Assert.Equal("yes", r.GetProperty("current").GetString());
        });
        var drift = await cli.RunAsync(environment, "drift");
        Assert.True(drift.Exit == 0, Describe(drift));
    }

    private static string Describe((int Exit, string Out, string Error) run) => $"exit {run.Exit}\n{run.Out}{run.Error}";
}
