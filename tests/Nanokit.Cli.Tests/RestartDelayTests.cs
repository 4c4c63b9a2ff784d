using System.Diagnostics;
using System.Globalization;

namespace Nanokit.Cli.Tests;

/// <summary>
/// <c>deploy.restart_policy.delay</c> on the private dockerd: the heal brings an exited container back only once the delay
/// has passed, by Nanokit's heal, never Docker's restart policy.
/// </summary>
public sealed class RestartDelayTests : IDisposable
{
    private static readonly TimeSpan Delay = TimeSpan.FromSeconds(4);
    private readonly CliRun cli = new();
    private readonly string project = "rd" + Random.Shared.Next(10_000, 99_999);
    private readonly Dictionary<string, string> docker = new()
    {
        ["DOCKER_HOST"] = Environment.GetEnvironmentVariable("NANOKIT_TEST_DOCKER_HOST") is { Length: > 0 } host ? host : "unix:///tmp/nanokit-docker/docker.sock",
    };

    public void Dispose()
    {
        using var rm = Process.Start(new ProcessStartInfo("sh", ["-c", $"docker -H {docker["DOCKER_HOST"]} ps -aq --filter label=io.nanokit.project={project} | xargs -r docker -H {docker["DOCKER_HOST"]} rm -f"]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        rm.WaitForExit();
        cli.Dispose();
    }

    [Fact]
    public async Task A_container_that_exits_is_brought_back_by_the_heal_only_after_its_restart_policy_delay()
    {
        cli.Write("nanokit.yml", $"""
            name: {project}
            runtime: docker
            services:
              worker:
                image: nanokit-test/busybox:1
                command: [sh, -c, "sleep 0.3; exit 3"]
                network_mode: none
                deploy:
                  restart_policy:
                    condition: on-failure
                    max_attempts: 1
                    delay: {(int)Delay.TotalSeconds}s
            """);
        var up = await cli.RunAsync(docker, "up");
        Assert.True(up.Exit == 0, up.Out + up.Error);
        var container = $"{project}-worker-1";
        await ExitedAsync(container);

        var asked = DateTimeOffset.UtcNow;
        var heal = await cli.RunAsync(docker, "drift", "--heal");
        var inspect = (await DockerAsync("inspect", "-f", "{{.State.StartedAt}}|{{.RestartCount}}", container)).Trim().Split('|');

        Assert.True(heal.Exit == 0, heal.Out + heal.Error);
        Assert.Contains("worker[1]  # exited (3); restart 1 of 1", heal.Out);
        var started = DateTimeOffset.Parse(inspect[0], CultureInfo.InvariantCulture);
        Assert.True(started - asked >= Delay, $"brought back {(started - asked).TotalSeconds:F1} s after the heal was asked for; the delay is {Delay.TotalSeconds} s");
        Assert.Equal("0", inspect[1]);
    }

    private async Task ExitedAsync(string container)
    {
        var deadline = Stopwatch.StartNew();
        while ((await DockerAsync("inspect", "-f", "{{.State.Status}}", container)).Trim() != "exited")
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(60), $"{container} did not exit within 60 s");
            await Task.Delay(100);
        }
    }

    private async Task<string> DockerAsync(params string[] args)
    {
        var start = new ProcessStartInfo("docker") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-H");
        start.ArgumentList.Add(docker["DOCKER_HOST"]);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"docker {string.Join(' ', args)}: {await process.StandardError.ReadToEndAsync()}");
        return output;
    }
}
