using System.Diagnostics;
using System.Text;
using Nanokit.Core.Model;
using Nanokit.Runtime;

namespace Nanokit.Providers.Local.Tests;

public sealed class LocalHookAndLogTests
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task A_hook_runs_with_the_service_environment_and_returns_its_output_and_exit_code()
    {
        await using var f = new LocalFixture();
        var service = LocalFixture.Service("api", "sleep", "30") with
        {
            Environment = System.Collections.Immutable.ImmutableSortedDictionary<string, string?>.Empty.Add("GREETING", "hi"),
            Hooks = new HooksSpec(null, new Hook(["sh", "-c", "echo $GREETING from $NANOKIT_SERVICE; echo oops >&2; exit 4"], HookLocation.Host, TimeSpan.FromSeconds(10)), null),
        };

        var result = await f.Runtime.RunHookAsync(f.Project, service, HookKind.Poststart, default);

        Assert.Equal(4, result.ExitCode);
        Assert.False(result.TimedOut);
        Assert.Contains("hi from api", result.OutputTail, StringComparison.Ordinal);
        Assert.Contains("oops", result.OutputTail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_hook_that_outlives_its_timeout_is_killed_with_its_children()
    {
        await using var f = new LocalFixture();
        var pids = f.PathOf("pids");
        var hook = new Hook(["sh", "-c", $"sleep 30 & echo $$ $! > {pids}; echo started; wait"], HookLocation.Host, TimeSpan.FromMilliseconds(500));

        var clock = Stopwatch.StartNew();
        var result = await f.Runtime.RunHookAsync(f.Project, LocalFixture.Service("api", "true") with { Hooks = new HooksSpec(hook, null, null) }, HookKind.Prestart, default);

        Assert.True(result.TimedOut);
        Assert.False(result.Succeeded);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"hook ran {clock.Elapsed}");
        Assert.Contains("started", result.OutputTail, StringComparison.Ordinal);
        foreach (var pid in (await File.ReadAllTextAsync(pids)).Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse))
        {
            await Poll.UntilAsync(() => !Poll.Alive(pid), Within, $"hook process {pid} is gone");
        }
    }

    [Fact]
    public async Task Logs_are_read_and_followed()
    {
        await using var f = new LocalFixture();
        var service = LocalFixture.Service("api", "sh", "-c", "echo one; echo two; sleep 0.3; echo three; sleep 30");
        await f.Runtime.CreateAsync(f.Replica(service), default);

        using var cts = new CancellationTokenSource(Within);
        var lines = new List<string>();
        await foreach (var line in f.Runtime.ReadLogsAsync(f.Id("api"), new LogReadOptions(Follow: true), cts.Token))
        {
            lines.Add(line);
            if (lines.Count == 3)
            {
                break;
            }
        }

        Assert.Equal(["one", "two", "three"], lines);
        var tail = new List<string>();
        await foreach (var line in f.Runtime.ReadLogsAsync(f.Id("api"), new LogReadOptions(Tail: 1), default))
        {
            tail.Add(line);
        }

        Assert.Equal(["three"], tail);
    }

    [Fact]
    public async Task A_large_log_is_rotated_at_start_and_while_running()
    {
        var options = new LocalRuntimeOptions { LogMaxBytes = 1000, LogFilesKept = 2, PollInterval = TimeSpan.FromMilliseconds(20) };
        await using var f = new LocalFixture(options);
        var log = LocalRuntime.LogPath(f.Id("api"));
        Directory.CreateDirectory(Path.GetDirectoryName(log)!);
        await File.WriteAllTextAsync(log, new string('o', 2000) + "\n");

        var service = LocalFixture.Service("api", "sh", "-c", "i=0; while [ $i -lt 30 ]; do echo 0123456789012345678901234567890123456789012345678901234567890123456789; i=$((i+1)); done; sleep 30");
        await f.Runtime.CreateAsync(f.Replica(service), default);
        Assert.StartsWith("ooo", await File.ReadAllTextAsync(log + ".1"), StringComparison.Ordinal);

        await Poll.UntilAsync(() => File.Exists(log) && new FileInfo(log).Length > 1000, Within, "the service wrote more than the limit");
        await f.Runtime.ObserveAsync(f.Project, default);

        Assert.True(new FileInfo(log).Length < 1000);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z 0123", await File.ReadAllTextAsync(log + ".1"));
        Assert.StartsWith("ooo", await File.ReadAllTextAsync(log + ".2"), StringComparison.Ordinal);
        Assert.False(File.Exists(log + ".3"));
    }

    [Fact]
    public async Task Tail_reads_back_across_rotated_files_for_the_last_lines()
    {
        var options = new LocalRuntimeOptions { LogMaxBytes = 100, LogFilesKept = 3, PollInterval = TimeSpan.FromMilliseconds(20) };
        await using var f = new LocalFixture(options);
        var log = LocalRuntime.LogPath(f.Id("api"));
        var go = f.PathOf("go");
        var service = LocalFixture.Service(
            "api", "sh", "-c", $"i=1; while [ $i -le 30 ]; do echo line $i; i=$((i+1)); done; while [ ! -f {go} ]; do sleep 0.02; done; echo line 31; echo line 32; exec sleep 300");
        await f.Runtime.CreateAsync(f.Replica(service), default);
        await Poll.UntilAsync(() => File.Exists(log) && File.ReadAllText(log).Contains("line 30\n", StringComparison.Ordinal), Within, "the service wrote 30 lines");

        await f.Runtime.ObserveAsync(f.Project, default);
        Assert.Equal(0, new FileInfo(log).Length);
        Assert.Equal(["line 28", "line 29", "line 30"], await TailAsync(f, 3));

        await File.WriteAllTextAsync(go, "");
        await Poll.UntilAsync(() => File.ReadAllText(log).Contains("line 32\n", StringComparison.Ordinal), Within, "the service wrote two more lines");
        Assert.Equal(["line 29", "line 30", "line 31", "line 32"], await TailAsync(f, 4));
        Assert.Equal(32, (await TailAsync(f, 100)).Count);
    }

    private static async Task<List<string>> TailAsync(LocalFixture f, int lines)
    {
        var result = new List<string>();
        await foreach (var line in f.Runtime.ReadLogsAsync(f.Id("api"), new LogReadOptions(Tail: lines), default))
        {
            result.Add(line);
        }

        return result;
    }

    [Fact]
    public async Task A_replica_survives_the_death_of_the_process_that_started_it()
    {
        await using var f = new LocalFixture();
        var testAssembly = typeof(LocalHookAndLogTests).Assembly.Location;
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";

        // The starter runs in its own process group, like nkapp in a terminal; killing that whole group is Ctrl-C / kill -9.
        var start = new ProcessStartInfo("setsid") { UseShellExecute = false, RedirectStandardOutput = true };
        foreach (var arg in new[] { dotnet, testAssembly, "start-replica", f.Directory, f.Project.Name, "api" })
        {
            start.ArgumentList.Add(arg);
        }

        using var starter = Process.Start(start)!;
        using var cts = new CancellationTokenSource(Within);
        var line = await starter.StandardOutput.ReadLineAsync(cts.Token);
        Assert.StartsWith("started local:", line, StringComparison.Ordinal);

        Posix.SignalGroup(starter.Id, Posix.SigKill);
        await starter.WaitForExitAsync(cts.Token);

        var observed = await f.ObserveOneAsync("api");
        Assert.Equal(ReplicaState.Running, observed.State);
        Assert.Equal(line!["started ".Length..], observed.Id);
        var pid = LocalFixture.PidOf(observed);
        Assert.True(Poll.Alive(pid));
        Assert.Equal(pid, ProcTable.Read(pid)!.Value.ProcessGroup);
    }

    [Fact]
    public async Task A_wrapper_whose_record_was_never_written_does_not_run_the_command()
    {
        await using var f = new LocalFixture();
        var id = f.Id("api");
        var paths = new LocalPaths(f.Directory, f.Project.Name);
        ReplicaRecordStore.EnsurePrivateDirectory(paths.StateDirectory);
        ReplicaRecordStore.EnsurePrivateDirectory(paths.LogDirectory);
        var marker = f.PathOf("ran");
        var environment = new Dictionary<string, string> { ["PATH"] = Environment.GetEnvironmentVariable("PATH")! };

        // As if nkapp died right after the spawn: the wrapper waits for its token, which never comes.
        var pid = ProcessLauncher.Spawn(id, LocalFixture.Service("api", "touch"), paths, "token-never-written", f.Directory, environment, ["touch", marker]);
        try
        {
            await Poll.UntilAsync(() => ProcTable.Snapshot().Count(p => p.ProcessGroup == pid) >= 1, Within, "the wrapper runs");
            var deadline = Stopwatch.StartNew();
            await Poll.UntilAsync(() => deadline.Elapsed > TimeSpan.FromMilliseconds(500) || File.Exists(marker), Within, "half a second passed");
            Assert.False(File.Exists(marker));
            Assert.True(Poll.GroupAlive(pid));
        }
        finally
        {
            Posix.SignalGroup(pid, Posix.SigKill);
        }

        Assert.Equal(Encoding.UTF8.GetByteCount(""), (await File.ReadAllTextAsync(paths.LogFile("api", 1))).Length);
    }
}
