using System.Diagnostics;
using System.Text.Json;
using Nanokit.Reconciler.Hosting;

namespace Nanokit.Cli.Tests;

/// <summary>The embedded reconciler driven through nkapp, with real local processes.</summary>
public sealed class EndToEndTests : IDisposable
{
    private readonly CliRun cli = new();
    private readonly string marker = Random.Shared.Next(10_000, 99_999).ToString();

    public void Dispose()
    {
        RealProcesses.KillAll($"sleep {marker}");
        cli.Dispose();
    }

    private string Sleep(int n) => $"{marker}{n}";

    private string Project() => $"""
        name: e2e
        services:
          store:
            command: [sh, -c, "sleep 0.3; touch ready; exec sleep {Sleep(1)}"]
            healthcheck: {"{"}test: [CMD-SHELL, test -f ready], interval: 1s, retries: 30{"}"}
            hooks: {"{"}prestart: [rm, -f, ready]{"}"}
          api:
            command: [sleep, "{Sleep(2)}"]
            deploy: {"{"}replicas: 2{"}"}
            depends_on: {"{"}store: {"{"}condition: service_healthy{"}"}{"}"}
        """;

    [Fact]
    public async Task Up_starts_every_service_in_dependency_order_and_down_removes_them_all()
    {
        cli.Write("nanokit.yml", Project());

        var up = await cli.RunAsync("up");

        Assert.True(up.Exit == 0, up.Out + up.Error);
        Assert.Contains("e2e: generation 1 converged", up.Out);
        Assert.True(up.Out.IndexOf("store    succeeded", StringComparison.Ordinal) < up.Out.IndexOf("api      applying", StringComparison.Ordinal), up.Out);
        await ExpectProcessesAsync(1, Sleep(1));
        await ExpectProcessesAsync(2, Sleep(2));
        var status = JsonDocument.Parse((await cli.RunAsync("status", "--format", "json")).Out);
        Assert.Equal(3, status.RootElement.GetProperty("replicas").GetArrayLength());
        Assert.All(status.RootElement.GetProperty("replicas").EnumerateArray(), r => Assert.Equal("running", r.GetProperty("state").GetString()));

        var down = await cli.RunAsync("down");

        Assert.True(down.Exit == 0, down.Out + down.Error);
        Assert.True(down.Out.IndexOf("api      deleting", StringComparison.Ordinal) < down.Out.IndexOf("store    deleting", StringComparison.Ordinal), down.Out);
        await ExpectProcessesAsync(0, Sleep(1));
        await ExpectProcessesAsync(0, Sleep(2));
        Assert.Contains("nothing deployed", (await cli.RunAsync("status")).Out);
    }

    [Fact]
    public async Task State_export_records_what_is_deployed_without_secret_values()
    {
        cli.Write("nanokit.yml", Project().Replace("command: [sleep", "environment: {API_TOKEN: hunter2}\n    command: [sleep"));
        Assert.Equal(0, (await cli.RunAsync("up")).Exit);

        var (exit, output, _) = await cli.RunAsync("state", "export");

        Assert.Equal(0, exit);
        Assert.DoesNotContain("hunter2", output);
        using var state = JsonDocument.Parse(output);
        Assert.Equal(1, state.RootElement.GetProperty("generation").GetInt64());
        Assert.Equal(1, state.RootElement.GetProperty("observedGeneration").GetInt64());
        var hashes = (await cli.RunAsync("config", "--hash", "*")).Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToDictionary(l => l.Split(' ')[0], l => l.Split(' ')[1]);
        var replicas = state.RootElement.GetProperty("replicas").EnumerateArray().ToList();
        Assert.Equal(3, replicas.Count);
        Assert.All(replicas, r => Assert.Equal(hashes[r.GetProperty("service").GetString()!], r.GetProperty("configHash").GetString()));
        Assert.All(replicas, r => Assert.StartsWith("local:", r.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task Logs_prints_each_replica_prefixed_and_takes_the_file_option()
    {
        cli.Write("other.yml", $"name: e2e\nservices:\n  talker:\n    command: [sh, -c, 'echo hello from $$NANOKIT_REPLICA; exec sleep {Sleep(4)}']\n    deploy: {{replicas: 2}}\n");
        Assert.Equal(0, (await cli.RunAsync("up", "-f", "other.yml")).Exit);
        await ExpectProcessesAsync(2, Sleep(4));

        // A line reaches the log file through the replica's log pump a moment after the command wrote it (the echo can
        // precede the sleep that ExpectProcessesAsync sees by more than the pump takes on a loaded machine).
        (int Exit, string Out, string Error) logs = default;
        await UntilAsync(async () =>
        {
            logs = await cli.RunAsync("logs", "--file", "other.yml", "talker", "--tail", "5");
            return logs.Exit != 0 || logs.Out.Contains("talker-2 | hello from 2", StringComparison.Ordinal) && logs.Out.Contains("talker-1 | hello from 1", StringComparison.Ordinal);
        }, "both replicas' lines in logs");

        Assert.True(logs.Exit == 0, logs.Error);
        Assert.Contains("talker-1 | hello from 1", logs.Out);
        Assert.Contains("talker-2 | hello from 2", logs.Out);
    }

    [Fact]
    public async Task Every_command_reports_an_unreachable_docker_daemon_in_one_line_and_exits_1()
    {
        cli.Write("nanokit.yml", "name: e2e\nruntime: docker\nservices:\n  web:\n    image: nanokit-test/busybox:1\n");
        var environment = new Dictionary<string, string> { ["DOCKER_HOST"] = $"unix:///tmp/nanokit-no-daemon-{marker}.sock" };

        foreach (var command in new[] { "up", "status", "plan", "drift", "logs web" })
        {
            var (exit, output, error) = await cli.RunAsync(environment, command.Split(' '));

            // up reports it in the run's failure summary (stdout), the other commands as their one error line.
            error = output + error;
            Assert.True(exit == 1, $"{command}: exit {exit}: {error}");
            Assert.True(error.Contains($"cannot reach the Docker daemon at unix:///tmp/nanokit-no-daemon-{marker}.sock", StringComparison.Ordinal), $"{command}: {error}");
            Assert.False(error.Contains("   at ", StringComparison.Ordinal), $"{command}: {error}");
        }
    }

    [Fact]
    public async Task Up_exits_1_naming_each_failed_service_and_why()
    {
        cli.Write("nanokit.yml", $"name: e2e\nservices:\n  broken:\n    command: [no-such-program-{marker}]\n  after:\n    command: [sleep, '{Sleep(3)}']\n    depends_on: [broken]\n");

        var (exit, output, _) = await cli.RunAsync("up");

        Assert.Equal(1, exit);
        Assert.Contains("e2e: generation 1 failed", output);
        Assert.Matches($"  broken: .*no-such-program-{marker}", output);
        Assert.Contains("  after: blocked: dependency broken failed", output);
        await ExpectProcessesAsync(0, Sleep(3));
    }

    [Fact]
    public async Task Drift_finds_a_process_killed_by_hand_and_heal_restarts_it()
    {
        cli.Write("nanokit.yml", Project());
        Assert.Equal(0, (await cli.RunAsync("up")).Exit);
        Assert.Equal(0, (await cli.RunAsync("drift")).Exit);

        RealProcesses.KillAll($"^sleep {Sleep(1)}$");
        await UntilAsync(async () => !(await cli.RunAsync("status")).Out.Contains("store                  1 running", StringComparison.Ordinal));
        var found = await cli.RunAsync("drift");
        var healed = await cli.RunAsync("drift", "--heal");

        Assert.Equal(2, found.Exit);
        Assert.Contains("store[1]  # exited (137)", found.Out);
        Assert.True(healed.Exit == 0, healed.Out + healed.Error);
        Assert.Contains("converged", healed.Out);
        await ExpectProcessesAsync(1, Sleep(1));
        Assert.Equal(0, (await cli.RunAsync("drift")).Exit);
    }

    /// <summary>Polls a condition of the outside world (a process's exit being recorded) with a deadline.</summary>
    private static async Task UntilAsync(Func<Task<bool>> condition, string what = "condition")
    {
        // Generous: nkapp's start-up (the actor system and its journal, JIT-compiled on first use) on a loaded
        // two-core machine takes seconds before the run itself begins. The wait ends as soon as the condition holds.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"{what}: not met within 60 s");
            await Task.Delay(50);
        }
    }

    /// <summary>
    /// Waits until exactly <paramref name="count"/> processes run <c>sleep ARG</c>. A replica's command starts a
    /// moment after nkapp records it (the wrapper waits for its record), so the count settles rather than jumps.
    /// </summary>
    private static Task ExpectProcessesAsync(int count, string arg) =>
        UntilAsync(() => Task.FromResult(RealProcesses.Count("sleep", arg) == count), $"{count} processes running sleep {arg}");

    [Fact]
    public async Task Up_watch_restarts_a_process_killed_by_hand_and_stops_cleanly_on_SIGTERM()
    {
        cli.Write("nanokit.yml", Project());
        using var watcher = StartNkapp("up", "--watch");
        await UntilAsync(() => Task.FromResult(watcher.Output.Contains("watching for drift")), "the watcher converged");
        await ExpectProcessesAsync(1, Sleep(1));

        RealProcesses.KillAll($"^sleep {Sleep(1)}$");

        await UntilAsync(() => Task.FromResult(watcher.Output.Contains("(healing drift)")), "a heal run started");
        await ExpectProcessesAsync(1, Sleep(1));
        using (var term = Process.Start("kill", ["-TERM", watcher.Process.Id.ToString()]))
        {
            await term.WaitForExitAsync();
        }

        await watcher.Process.WaitForExitAsync();
        Assert.Equal(0, watcher.Process.ExitCode);
        var status = JsonDocument.Parse((await cli.RunAsync("status", "--format", "json")).Out);
        Assert.All(status.RootElement.GetProperty("replicas").EnumerateArray(), r => Assert.Equal("running", r.GetProperty("state").GetString()));
    }

    [Fact]
    public async Task Up_watch_with_heal_off_reports_drift_and_leaves_it()
    {
        cli.Write("nanokit.yml", Project() + "\ndrift: {interval: 1h, heal: false}\n");
        using var watcher = StartNkapp("up", "--watch");
        await UntilAsync(() => Task.FromResult(watcher.Output.Contains("watching for drift")), "the watcher converged");

        RealProcesses.KillAll($"^sleep {Sleep(1)}$");

        await UntilAsync(() => Task.FromResult(watcher.Output.Contains("drift found, not healing")), "drift reported");
        Assert.Contains("~ start store[1]  # exited (137)", watcher.Output);
        Assert.DoesNotContain("(healing drift)", watcher.Output);
        await ExpectProcessesAsync(0, Sleep(1));
    }

    private NkappProcess StartNkapp(params string[] args) => NkappProcess.Start(cli.Directory, args);

    [Fact]
    public async Task A_second_nkapp_is_refused_while_the_project_is_locked_and_is_told_who_holds_it()
    {
        cli.Write("nanokit.yml", Project());
        using var held = ProjectLock.Acquire(Path.Combine(cli.Directory, ".nanokit"), "up");

        var (exit, output, error) = await cli.RunAsync("up");

        Assert.Equal(1, exit);
        Assert.Empty(output);
        Assert.Contains($"the project is locked by nkapp up (pid {Environment.ProcessId}", error);
        await ExpectProcessesAsync(0, Sleep(1));
    }

    [Fact]
    public async Task Up_killed_with_SIGKILL_at_any_point_converges_on_the_next_run_without_duplicates()
    {
        cli.Write("nanokit.yml", Project());
        var nkapp = Path.Combine(AppContext.BaseDirectory, "nkapp.dll");
        // Fixed delays cover start-up and recovery; the lines a run prints cover each step of the run itself,
        // however long start-up takes on a loaded machine.
        var killPoints = new object[] { 150, 300, 500, 700, 900, 1200, 1600, 2200, "generation", "prestart", "applying", "waiting", "succeeded", "api      applying" };
        for (var n = 0; n < killPoints.Length; n++)
        {
            // Each run changes the spec, so every run has work to be interrupted in.
            cli.Write("nanokit.yml", Project().Replace("replicas: 2", $"replicas: {2 + n % 2}"));
            using var child = Process.Start(new ProcessStartInfo("dotnet", [nkapp, "up"]) { WorkingDirectory = cli.Directory, RedirectStandardOutput = true, RedirectStandardError = true })!;
            if (killPoints[n] is int delay)
            {
                await Task.Delay(delay);
            }
            else
            {
                await ReadUntilAsync(child.StandardOutput, (string)killPoints[n]);
            }

            child.Kill();
            await child.WaitForExitAsync();
        }

        cli.Write("nanokit.yml", Project());
        var final = await cli.RunAsync("up");

        Assert.True(final.Exit == 0, final.Out + final.Error);
        await ExpectProcessesAsync(1, Sleep(1));
        await ExpectProcessesAsync(2, Sleep(2));
        Assert.Equal(0, (await cli.RunAsync("drift")).Exit);
        Assert.Equal(0, (await cli.RunAsync("down")).Exit);
        await ExpectProcessesAsync(0, Sleep(1));
        await ExpectProcessesAsync(0, Sleep(2));
    }

    /// <summary>Reads <paramref name="output"/> until a line contains <paramref name="text"/>, or it ends (the run finished first).</summary>
    private static async Task ReadUntilAsync(StreamReader output, string text)
    {
        while (await output.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)) is { } line && !line.Contains(text, StringComparison.Ordinal))
        {
        }
    }
}
