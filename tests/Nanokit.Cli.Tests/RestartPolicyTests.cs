using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Nanokit.Cli.Tests;

/// <summary>
/// <c>restart: on-failure:N</c> end to end: each nkapp command is a fresh node that recovers the project's journal, so the
/// restart count a heal persisted must survive from one command to the next. Local processes, and the private dockerd.
/// Also <c>deploy.restart_policy.delay</c> (the heal, never Docker's restart policy, brings an exited container back only once
/// the delay has passed) and Compose's <c>depends_on: {X: {restart: true}}</c>, on the private dockerd.
/// </summary>
public sealed class RestartPolicyTests : IDisposable
{
    private static readonly TimeSpan RestartDelay = TimeSpan.FromSeconds(4);
    private readonly CliRun cli = new();
    private readonly string project = "rb" + Random.Shared.Next(10_000, 99_999);
    private readonly Dictionary<string, string> docker = new()
    {
        ["DOCKER_HOST"] = TestDocker.Host,
    };

    public void Dispose()
    {
        using var rm = Process.Start(new ProcessStartInfo("sh", ["-c", $"docker -H {docker["DOCKER_HOST"]} ps -aq --filter label=io.nanokit.project={project} | xargs -r docker -H {docker["DOCKER_HOST"]} rm -f"]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        rm.WaitForExit();
        cli.Dispose();
    }

    [Fact]
    public async Task A_local_process_that_keeps_failing_is_brought_back_twice_under_on_failure_2_then_left_and_status_and_plan_say_why()
    {
        var runs = Path.Combine(cli.Directory, "runs");
        cli.Write("nanokit.yml", $"""
            name: {project}
            services:
              worker:
                command: [sh, -c, "echo run >> {runs}; sleep 0.3; exit 3"]
                restart: on-failure:2
            """);

        await BringBackTwiceThenLeaveAsync(new Dictionary<string, string>());

        // A saved plan made now is applied as made: it plans with the same counts, and brings nothing back.
        var saved = await cli.RunAsync("plan", "-out", "left.plan");
        var apply = await cli.RunAsync("up", "left.plan");
        Assert.True(saved.Exit == 0, saved.Out + saved.Error);
        Assert.True(apply.Exit == 0, apply.Out + apply.Error);
        Assert.Equal(3, File.ReadAllLines(runs).Length);
    }

    [Fact]
    public async Task A_container_that_keeps_failing_is_brought_back_twice_under_on_failure_2_then_left_and_one_that_exits_0_is_not_brought_back()
    {
        cli.Write("nanokit.yml", $"""
            name: {project}
            runtime: docker
            services:
              worker:
                image: nanokit-test/busybox:1
                command: [sh, -c, "sleep 0.3; exit 3"]
                restart: on-failure:2
                network_mode: none
              done:
                image: nanokit-test/busybox:1
                command: [sh, -c, "sleep 0.3; exit 0"]
                restart: on-failure:2
                network_mode: none
            """);

        await BringBackTwiceThenLeaveAsync(docker);
        var status = await cli.RunAsync(docker, "status", "--format", "json");
        Assert.Equal(("exited (0)", "yes"), Rows(status)["done"]);
        // Nanokit's heal brought it back, never Docker's restart policy (none: "" or "no").
        var inspect = await DockerAsync("inspect", "-f", "{{.RestartCount}}|{{.HostConfig.RestartPolicy.Name}}", $"{project}-worker-1");
        Assert.Contains(inspect.Trim(), new[] { "0|", "0|no" });
    }

    [Fact]
    public async Task A_container_declared_with_depends_on_restart_true_is_restarted_in_place_after_up_recreates_its_dependency()
    {
        const string File = """
            name: {0}
            runtime: docker
            services:
              db:
                image: nanokit-test/busybox:1
                command: [sh, -c, "exec sleep 3600"]
                environment: {{ VERSION: "{1}" }}
                network_mode: none
                stop_grace_period: 1s
              api:
                image: nanokit-test/busybox:1
                command: [sh, -c, "exec sleep 3600"]
                network_mode: none
                stop_grace_period: 1s
                depends_on:
                  db: {{ condition: service_started, restart: true }}
              worker:
                image: nanokit-test/busybox:1
                command: [sh, -c, "exec sleep 3600"]
                network_mode: none
                stop_grace_period: 1s
                depends_on: [db]
            """;
        cli.Write("nanokit.yml", string.Format(CultureInfo.InvariantCulture, File, project, "1"));
        var first = await cli.RunAsync(docker, "up");
        Assert.True(first.Exit == 0, first.Out + first.Error);
        var before = await StartsAsync();

        cli.Write("nanokit.yml", string.Format(CultureInfo.InvariantCulture, File, project, "2"));
        var second = await cli.RunAsync(docker, "up");
        var after = await StartsAsync();

        Assert.True(second.Exit == 0, second.Out + second.Error);
        Assert.True(second.Out.Contains("layer 1: restart api[1]", StringComparison.Ordinal), second.Out);
        Assert.NotEqual(before["db"].Id, after["db"].Id);
        Assert.Equal(before["api"].Id, after["api"].Id);
        Assert.True(after["api"].StartedAt > before["api"].StartedAt, $"api was not restarted: started {before["api"].StartedAt:O}, then {after["api"].StartedAt:O}");
        Assert.Equal(before["worker"], after["worker"]);
    }

    private async Task<Dictionary<string, (string Id, DateTimeOffset StartedAt)>> StartsAsync()
    {
        var starts = new Dictionary<string, (string, DateTimeOffset)>();
        foreach (var service in new[] { "db", "api", "worker" })
        {
            var inspect = (await DockerAsync("inspect", "-f", "{{.Id}}|{{.State.StartedAt}}", $"{project}-{service}-1")).Trim().Split('|');
            starts[service] = (inspect[0], DateTimeOffset.Parse(inspect[1], CultureInfo.InvariantCulture));
        }

        return starts;
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
                    delay: {(int)RestartDelay.TotalSeconds}s
            """);
        var up = await cli.RunAsync(docker, "up");
        Assert.True(up.Exit == 0, up.Out + up.Error);
        var container = $"{project}-worker-1";
        await ContainerExitedAsync(container);

        var asked = DateTimeOffset.UtcNow;
        var heal = await cli.RunAsync(docker, "drift", "--heal");
        var inspect = (await DockerAsync("inspect", "-f", "{{.State.StartedAt}}|{{.RestartCount}}", container)).Trim().Split('|');

        Assert.True(heal.Exit == 0, heal.Out + heal.Error);
        Assert.Contains("worker[1]  # exited (3); restart 1 of 1", heal.Out);
        var started = DateTimeOffset.Parse(inspect[0], CultureInfo.InvariantCulture);
        Assert.True(started - asked >= RestartDelay, $"brought back {(started - asked).TotalSeconds:F1} s after the heal was asked for; the delay is {RestartDelay.TotalSeconds} s");
        Assert.Equal("0", inspect[1]);
    }

    private async Task BringBackTwiceThenLeaveAsync(IReadOnlyDictionary<string, string> environment)
    {
        var up = await cli.RunAsync(environment, "up");
        Assert.True(up.Exit == 0, up.Out + up.Error);
        await ExitedAsync(environment);

        foreach (var attempt in new[] { "restart 1 of 2", "restart 2 of 2" })
        {
            var heal = await cli.RunAsync(environment, "drift", "--heal");
            Assert.True(heal.Exit == 0, heal.Out + heal.Error);
            Assert.Contains($"worker[1]  # exited (3); {attempt}", heal.Out);
            await ExitedAsync(environment);
        }

        var drift = await cli.RunAsync(environment, "drift", "--heal");
        var plan = await cli.RunAsync(environment, "plan");
        var status = await cli.RunAsync(environment, "status", "--format", "json");

        Assert.True(drift.Exit == 0, drift.Out + drift.Error);
        Assert.Contains("no drift", drift.Out);
        Assert.True(plan.Exit == 0, plan.Out + plan.Error);
        Assert.EndsWith("Left exited:\n  worker[1]  # exited (3); restart on-failure:2 reached", plan.Out.TrimEnd());
        Assert.Equal(("exited (3)", "yes: left exited (exited (3); restart on-failure:2 reached)"), Rows(status)["worker"]);
    }

    private async Task ExitedAsync(IReadOnlyDictionary<string, string> environment)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var rows = Rows(await cli.RunAsync(environment, "status", "--format", "json"));
            if (rows.TryGetValue("worker", out var worker) && worker.State.StartsWith("exited", StringComparison.Ordinal))
            {
                return;
            }

            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(60), $"worker did not exit within 60 s: {string.Join(", ", rows)}");
            await Task.Delay(100);
        }
    }

    private async Task ContainerExitedAsync(string container)
    {
        var deadline = Stopwatch.StartNew();
        while ((await DockerAsync("inspect", "-f", "{{.State.Status}}", container)).Trim() != "exited")
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(60), $"{container} did not exit within 60 s");
            await Task.Delay(100);
        }
    }

    private static Dictionary<string, (string State, string Current)> Rows((int Exit, string Out, string Error) status)
    {
        Assert.True(status.Exit == 0, status.Out + status.Error);
        using var json = JsonDocument.Parse(status.Out);
        return json.RootElement.GetProperty("replicas").EnumerateArray()
            .ToDictionary(r => r.GetProperty("service").GetString()!, r => (r.GetProperty("state").GetString()!, r.GetProperty("current").GetString()!));
    }

    private async Task<string> DockerAsync(params string[] args)
    {
        var (exit, output, error) = await TestDocker.RunAsync(docker["DOCKER_HOST"], args);
        Assert.True(exit == 0, $"docker {string.Join(' ', args)}: {error}");
        return output;
    }
}
