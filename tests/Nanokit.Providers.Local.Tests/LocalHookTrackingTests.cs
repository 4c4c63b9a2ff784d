using System.Diagnostics;
using Nanokit.Core.Model;
using Nanokit.Runtime;

namespace Nanokit.Providers.Local.Tests;

/// <summary>Hooks are tracked like replicas: one at a time per service, stopped with their run, a dead run's leftover settled first.</summary>
public sealed class LocalHookTrackingTests
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(20);

    /// <summary>A hook that notices a second copy of itself: mkdir is atomic, so an overlap always leaves a mark.</summary>
    private static string Exclusive(LocalFixture f, string body) =>
        $"mkdir {f.PathOf("running")} || echo overlap >> {f.PathOf("overlaps")}; echo start >> {f.PathOf("runs")}; {body}; echo end >> {f.PathOf("runs")}; rmdir {f.PathOf("running")}";

    private static ServiceSpec WithPrestart(string script, TimeSpan timeout) =>
        LocalFixture.Service("db", "true") with { Hooks = new HooksSpec(new Hook(["sh", "-c", script], HookLocation.Host, timeout), null, null) };

    /// <summary>The test assembly's stand-in nkapp runs the hook; it is killed with SIGKILL alone (not its group), as `kill -9 PID` does.</summary>
    private static Process StartStandIn(LocalFixture f, string script, int timeoutSeconds)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet") { UseShellExecute = false };
        foreach (var arg in new[] { typeof(LocalHookTrackingTests).Assembly.Location, "run-hook", f.Directory, f.Project.Name, "db", script, timeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(arg);
        }

        return Process.Start(start)!;
    }

    private static int[] Pids(string file) =>
        File.ReadAllText(file).Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();

    [Fact]
    public async Task A_hook_left_running_by_a_killed_nkapp_is_waited_for_and_never_runs_alongside_the_next_one()
    {
        await using var f = new LocalFixture();
        var script = Exclusive(f, "sleep 1.5");
        using (var standIn = StartStandIn(f, script, 60))
        {
            await Poll.UntilAsync(() => Directory.Exists(f.PathOf("running")), Within, "the first hook runs");
            standIn.Kill();
            await standIn.WaitForExitAsync();
        }

        var result = await f.Runtime.RunHookAsync(f.Project, WithPrestart(script, TimeSpan.FromSeconds(60)), HookKind.Prestart, default);

        Assert.True(result.Succeeded, result.OutputTail);
        Assert.False(File.Exists(f.PathOf("overlaps")), "a second copy of the hook ran alongside the first");
        Assert.Equal(["start", "end", "start", "end"], await File.ReadAllLinesAsync(f.PathOf("runs")));
    }

    [Fact]
    public async Task A_hook_left_running_past_its_timeout_is_stopped_before_the_hook_runs_again()
    {
        await using var f = new LocalFixture();
        var pids = f.PathOf("pids");
        using (var standIn = StartStandIn(f, $"echo $$ > {pids}; exec sleep 300", 1))
        {
            await Poll.UntilAsync(() => File.Exists(pids) && new FileInfo(pids).Length > 0, Within, "the first hook runs");
            standIn.Kill();
            await standIn.WaitForExitAsync();
        }

        var leftover = Pids(pids).Single();
        var clock = Stopwatch.StartNew();
        var result = await f.Runtime.RunHookAsync(f.Project, WithPrestart("echo second", TimeSpan.FromSeconds(60)), HookKind.Prestart, default);

        Assert.True(result.Succeeded, result.OutputTail);
        Assert.Contains("second", result.OutputTail, StringComparison.Ordinal);
        Assert.False(Poll.Alive(leftover), "the leftover hook still runs");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task Two_runs_of_a_service_hook_at_the_same_time_run_one_after_the_other()
    {
        await using var f = new LocalFixture();
        var service = WithPrestart(Exclusive(f, "sleep 0.5"), TimeSpan.FromSeconds(30));

        var results = await Task.WhenAll(
            f.Runtime.RunHookAsync(f.Project, service, HookKind.Prestart, default),
            f.Runtime.RunHookAsync(f.Project, service, HookKind.Prestart, default));

        Assert.All(results, r => Assert.True(r.Succeeded, r.OutputTail));
        Assert.False(File.Exists(f.PathOf("overlaps")), "the two hooks overlapped");
        Assert.Equal(["start", "end", "start", "end"], await File.ReadAllLinesAsync(f.PathOf("runs")));
    }

    [Fact]
    public async Task Cancelling_a_hook_stops_its_whole_process_group_before_the_call_returns()
    {
        await using var f = new LocalFixture();
        var pids = f.PathOf("pids");
        var service = WithPrestart($"sleep 300 & echo $$ $! > {pids}; wait", TimeSpan.FromSeconds(60));
        using var cancel = new CancellationTokenSource();

        var run = f.Runtime.RunHookAsync(f.Project, service, HookKind.Prestart, cancel.Token);
        await Poll.UntilAsync(() => File.Exists(pids) && Pids(pids).Length == 2, Within, "the hook and its child run");
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.All(Pids(pids), pid => Assert.False(Poll.Alive(pid), $"hook process {pid} still runs"));
    }

    [Fact]
    public async Task Disposing_the_runtime_stops_the_hooks_it_runs_and_waits_until_they_are_gone()
    {
        await using var f = new LocalFixture();
        var pids = f.PathOf("pids");
        var service = WithPrestart($"echo $$ > {pids}; exec sleep 300", TimeSpan.Zero);
        var runtime = new LocalRuntime();

        var run = runtime.RunHookAsync(f.Project, service, HookKind.Prestart, default);
        await Poll.UntilAsync(() => File.Exists(pids) && new FileInfo(pids).Length > 0, Within, "the hook runs");
        await runtime.DisposeAsync();

        Assert.False(Poll.Alive(Pids(pids).Single()), "the hook outlived its runtime");
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
    }

    [Fact]
    public async Task A_hook_is_recorded_while_it_runs_and_forgotten_once_it_ended()
    {
        await using var f = new LocalFixture();
        var paths = new LocalPaths(f.Directory, f.Project.Name);
        var record = paths.Hook("db", HookKind.Prestart).Record;
        var gate = f.PathOf("go");
        var run = f.Runtime.RunHookAsync(f.Project, WithPrestart($"while [ ! -f {gate} ]; do sleep 0.02; done", TimeSpan.FromSeconds(60)), HookKind.Prestart, default);

        await Poll.UntilAsync(() => File.Exists(record), Within, "the hook is recorded");
        var recorded = ReplicaRecordStore.Read<HookRecord>(record)!;
        Assert.True(ProcessStopper.LeaderAlive(recorded.Process, ProcTable.Snapshot()));
        await File.WriteAllTextAsync(gate, "");

        Assert.True((await run).Succeeded);
        Assert.False(File.Exists(record));
    }
}
