using System.Diagnostics;
using System.Text.Json;

namespace Nanokit.Cli.Tests;

/// <summary>
/// nkapp on the Docker runtime against the private dockerd that scripts/test.sh starts
/// (<c>NANOKIT_TEST_DOCKER_HOST</c>); fails, never skips, when it is not there.
/// </summary>
public sealed class DockerEndToEndTests : IDisposable
{
    private readonly CliRun cli = new();
    private readonly string project = "dk" + Random.Shared.Next(10_000, 99_999);
    private readonly Dictionary<string, string> environment = new()
    {
        ["DOCKER_HOST"] = TestDocker.Host,
    };

    public void Dispose()
    {
        // Whatever a failed test left behind: the project's containers carry its label.
        using var docker = Process.Start(new ProcessStartInfo("sh", ["-c", $"docker -H {environment["DOCKER_HOST"]} ps -aq --filter label=io.nanokit.project={project} | xargs -r docker -H {environment["DOCKER_HOST"]} rm -f"]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        docker.WaitForExit();
        cli.Dispose();
    }

    [Fact]
    public async Task Up_on_docker_gates_on_health_heals_a_container_removed_by_hand_and_down_removes_everything()
    {
        cli.Write("nanokit.yml", $"""
            name: {project}
            runtime: docker
            services:
              db:
                image: nanokit-test/busybox:1
                command: [sh, -c, "sleep 1; touch /tmp/ready; exec sleep 3600"]
                healthcheck: {"{"}test: [CMD, test, -f, /tmp/ready], interval: 1s, retries: 30{"}"}
                network_mode: none
              api:
                image: nanokit-test/busybox:1
                command: [sleep, "3600"]
                deploy: {"{"}replicas: 2{"}"}
                depends_on: {"{"}db: {"{"}condition: service_healthy{"}"}{"}"}
                network_mode: none
            """);
        var reachable = await cli.RunAsync(environment, "status");
        Assert.True(reachable.Exit == 0, $"the private dockerd does not answer ({reachable.Error.Trim()}): run scripts/test.sh (or scripts/dockerd.sh start)");

        var up = await cli.RunAsync(environment, "up");

        Assert.True(up.Exit == 0, up.Out + up.Error);
        Assert.True(up.Out.IndexOf("db       succeeded", StringComparison.Ordinal) < up.Out.IndexOf("api      applying", StringComparison.Ordinal), up.Out);
        Assert.Equal(["running", "running", "running"], States(await cli.RunAsync(environment, "status", "--format", "json")));

        using (var rm = Process.Start("docker", ["-H", environment["DOCKER_HOST"], "rm", "-f", $"{project}-api-1"]))
        {
            await rm.WaitForExitAsync();
        }

        var drift = await cli.RunAsync(environment, "drift", "--heal");
        Assert.True(drift.Exit == 0, drift.Out + drift.Error);
        Assert.Contains("api[1]", drift.Out);
        Assert.Equal(["running", "running", "running"], States(await cli.RunAsync(environment, "status", "--format", "json")));

        var down = await cli.RunAsync(environment, "down");
        Assert.True(down.Exit == 0, down.Out + down.Error);
        Assert.Empty(States(await cli.RunAsync(environment, "status", "--format", "json")));
    }

    private static List<string> States((int Exit, string Out, string Error) status)
    {
        Assert.True(status.Exit == 0, status.Error);
        using var json = JsonDocument.Parse(status.Out);
        return json.RootElement.GetProperty("replicas").EnumerateArray().Select(r => r.GetProperty("state").GetString()!).ToList();
    }
}
