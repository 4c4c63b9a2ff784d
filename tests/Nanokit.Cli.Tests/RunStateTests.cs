using System.Diagnostics;
using System.Text.Json;

namespace Nanokit.Cli.Tests;

/// <summary>
/// <c>stop</c>, <c>start</c>, <c>restart</c> through the reconciler, and what the lock-free commands know of the applied
/// intent (stopped services, the <c>--env</c> of the last up), with real local processes.
/// </summary>
public sealed class RunStateTests : IDisposable
{
    private readonly CliRun cli = new();
    private readonly string marker = Random.Shared.Next(10_000, 99_999).ToString();

    public void Dispose()
    {
        RealProcesses.KillAll($"sleep {marker}");
        cli.Dispose();
    }

    private string Db => $"{marker}1";

    private string Web => $"{marker}2";

    private string Project(string extra = "") => $"""
        name: runstate
        services:
          db:
            command: [sleep, "{Db}"]
          web:
            command: [sleep, "{Web}"]
            deploy: {"{"}replicas: 2{"}"}
            depends_on: [db]
        {extra}
        """;

    [Fact]
    public async Task Stop_keeps_a_service_stopped_through_a_drift_heal_and_up_starts_it_again()
    {
        cli.Write("nanokit.yml", Project());
        Assert.Equal(0, (await cli.RunAsync("up")).Exit);
        await ExpectProcessesAsync(2, Web);

        var stop = await cli.RunAsync("stop", "web");
        await ExpectProcessesAsync(0, Web);
        var ps = await cli.RunAsync("ps");
        var all = await cli.RunAsync("ps", "-a", "--format", "json");
        var drift = await cli.RunAsync("drift");
        var heal = await cli.RunAsync("drift", "--heal");

        Assert.True(stop.Exit == 0, stop.Out + stop.Error);
        Assert.Contains("runstate: generation 2 (apply): 0 to add, 2 to change, 0 to destroy", stop.Out);
        Assert.Contains("stop web[1], stop web[2]", stop.Out);
        Assert.Equal(["NAME", "runstate-db-1"], ps.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')[0]));
        using (var rows = JsonDocument.Parse(all.Out))
        {
            Assert.Equal(["running", "stopped", "stopped"], rows.RootElement.EnumerateArray().Select(r => r.GetProperty("state").GetString()));
        }

        Assert.True(drift.Exit == 0, drift.Out + drift.Error);
        Assert.Contains("no drift; the runtime matches generation 2", drift.Out);
        Assert.True(heal.Exit == 0, heal.Out + heal.Error);
        Assert.Equal(0, RealProcesses.Count("sleep", Web));
        Assert.Equal(1, RealProcesses.Count("sleep", Db));

        var up = await cli.RunAsync("up");

        Assert.True(up.Exit == 0, up.Out + up.Error);
        Assert.Contains("runstate: generation 3 (apply)", up.Out);
        Assert.Contains("start web[1], start web[2]", up.Out);
        await ExpectProcessesAsync(2, Web);
        Assert.Contains("running", (await cli.RunAsync("status")).Out.Split('\n').Single(l => l.StartsWith("web ", StringComparison.Ordinal) && l.Contains(" 2 ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Start_starts_what_stop_stopped_and_restart_replaces_only_the_named_services_processes()
    {
        cli.Write("nanokit.yml", Project());
        Assert.Equal(0, (await cli.RunAsync("up")).Exit);
        await ExpectProcessesAsync(2, Web);
        Assert.Equal(0, (await cli.RunAsync("stop")).Exit);
        await ExpectProcessesAsync(0, Db);

        var start = await cli.RunAsync("start");
        await ExpectProcessesAsync(1, Db);
        await ExpectProcessesAsync(2, Web);
        var db = RealProcesses.Pids("sleep", Db);
        var web = RealProcesses.Pids("sleep", Web);
        var restart = await cli.RunAsync("restart", "web");
        await ExpectProcessesAsync(2, Web);

        Assert.True(start.Exit == 0, start.Out + start.Error);
        Assert.True(restart.Exit == 0, restart.Out + restart.Error);
        Assert.Contains("restart web[1], restart web[2]", restart.Out);
        Assert.Equal(db, RealProcesses.Pids("sleep", Db));
        Assert.Empty(web.Intersect(RealProcesses.Pids("sleep", Web)));
    }

    [Fact]
    public async Task Stop_before_anything_is_applied_or_of_an_unknown_service_is_refused_in_one_line()
    {
        cli.Write("nanokit.yml", Project());

        var early = await cli.RunAsync("stop");
        Assert.Equal(0, (await cli.RunAsync("up")).Exit);
        var unknown = await cli.RunAsync("restart", "nope");

        Assert.Equal(1, early.Exit);
        Assert.Equal("runstate: nothing is applied: run `nkapp up` first", early.Error.Trim());
        Assert.Equal(1, unknown.Exit);
        Assert.Equal("runstate: no such service in generation 1: nope", unknown.Error.Trim());
        // The replica's group runs when up returns; its command starts a moment later (after the wrapper's gate and log pump).
        await UntilAsync(() => RealProcesses.Count("sleep", Db) == 1, "db's command runs");
    }

    [Fact]
    public async Task Drift_reports_without_the_lock_while_up_watch_holds_it()
    {
        cli.Write("nanokit.yml", Project("drift: {interval: 1h, heal: false}"));
        using var watcher = NkappProcess.Start(cli.Directory, "up", "--watch");
        await UntilAsync(() => watcher.Output.Contains("watching for drift"), "the watcher converged");

        var clean = await cli.RunAsync("drift");
        RealProcesses.KillAll($"^sleep {Db}$");

        // Its wrapper records the exit a moment after the process dies; until then the replica still counts as running.
        var deadline = Stopwatch.StartNew();
        while (!(await cli.RunAsync("ps", "-a")).Out.Contains("exited (137)", StringComparison.Ordinal))
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(60), "db never showed as exited");
            await Task.Delay(50);
        }

        var found = await cli.RunAsync("drift");

        Assert.True(clean.Exit == 0, clean.Out + clean.Error);
        Assert.Equal(2, found.Exit);
        Assert.Contains("~ start db[1]  # exited (137)", found.Out);
        Assert.Empty(found.Error);
    }

    [Fact]
    public async Task Status_without_env_reads_the_file_with_the_env_the_last_up_applied()
    {
        cli.Write("nanokit.yml", Project($"environments:\n  staging:\n    services:\n      web:\n        deploy: {{replicas: 1}}\n        command: [sleep, \"{Web}9\"]"));
        var up = await cli.RunAsync("up", "--env", "staging");
        Assert.True(up.Exit == 0, up.Out + up.Error);

        var status = await cli.RunAsync("status", "--format", "json");
        var asked = await cli.RunAsync("status", "--format", "json", "--env", "");

        using var remembered = JsonDocument.Parse(status.Out);
        Assert.All(remembered.RootElement.GetProperty("replicas").EnumerateArray(), r => Assert.Equal("yes", r.GetProperty("current").GetString()));
        using var base_ = JsonDocument.Parse(asked.Out);
        Assert.StartsWith("no: up would recreate it (command changed", base_.RootElement.GetProperty("replicas").EnumerateArray().Single(r => r.GetProperty("service").GetString() == "web").GetProperty("current").GetString());
    }

    private static async Task UntilAsync(Func<bool> condition, string what)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(60), $"{what}: not met within 60 s");
            await Task.Delay(50);
        }
    }

    private static Task ExpectProcessesAsync(int count, string arg) =>
        UntilAsync(() => RealProcesses.Count("sleep", arg) == count, $"{count} processes running sleep {arg}");
}
