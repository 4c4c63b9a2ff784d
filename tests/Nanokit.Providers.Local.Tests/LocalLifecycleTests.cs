using System.Diagnostics;
using Nanokit.Core.Model;
using Nanokit.Runtime;

namespace Nanokit.Providers.Local.Tests;

public sealed class LocalLifecycleTests
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Create_starts_a_process_that_observe_reports_running_with_our_hash_and_generation()
    {
        await using var f = new LocalFixture();
        var created = await f.Runtime.CreateAsync(f.Replica(LocalFixture.Service("api", "sleep", "30"), hash: "abc", generation: 7), default);

        var observed = await f.ObserveOneAsync("api");
        Assert.Equal(ReplicaState.Running, observed.State);
        Assert.Equal("abc", observed.ConfigHash);
        Assert.Equal(7, observed.Generation);
        Assert.Equal(created.Id, observed.Id);
        Assert.Equal("api", observed.AppliedDefinition!.Name);
        Assert.True(Poll.Alive(LocalFixture.PidOf(observed)));

        var stateFile = Path.Combine(f.Directory, ".nanokit", "local", "proj", "api-1.json");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(stateFile));
    }

    [Fact]
    public async Task The_process_gets_exactly_the_service_environment_plus_path_home_and_replica_identity()
    {
        await using var f = new LocalFixture();
        var service = LocalFixture.Service("env", "env") with
        {
            Environment = System.Collections.Immutable.ImmutableSortedDictionary<string, string?>.Empty.Add("FOO", "bar"),
        };
        await f.Runtime.CreateAsync(f.Replica(service, replica: 2), default);
        Assert.Equal(0, await f.Runtime.WaitForCompletionAsync(f.Id("env", 2), default));

        var lines = await ReadLogAsync(f, f.Id("env", 2));
        var names = lines.Select(l => l.Split('=')[0]).Where(n => n is not ("PWD" or "SHLVL" or "_" or "OLDPWD")).Order().ToArray();
        Assert.Equal(["FOO", "HOME", "NANOKIT_PROJECT", "NANOKIT_REPLICA", "NANOKIT_SERVICE", "PATH"], names.Where(n => n != "HOME" || Environment.GetEnvironmentVariable("HOME") is not null));
        Assert.Contains("NANOKIT_REPLICA=2", lines);
        Assert.Contains("NANOKIT_PROJECT=proj", lines);
        Assert.Contains("FOO=bar", lines);
    }

    [Fact]
    public async Task Entrypoint_is_prepended_to_command_and_working_dir_is_relative_to_the_project()
    {
        await using var f = new LocalFixture();
        Directory.CreateDirectory(f.PathOf("sub"));
        var service = LocalFixture.Service("web", "echo-args") with
        {
            Entrypoint = ["sh", "-c", "pwd; echo \"$0\""],
            WorkingDir = "sub",
        };
        await f.Runtime.CreateAsync(f.Replica(service), default);
        Assert.Equal(0, await f.Runtime.WaitForCompletionAsync(f.Id("web"), default));

        var lines = await ReadLogAsync(f, f.Id("web"));
        Assert.Equal([f.PathOf("sub"), "echo-args"], lines);
    }

    [Fact]
    public async Task An_image_under_the_local_runtime_is_a_clear_error()
    {
        await using var f = new LocalFixture();
        var service = LocalFixture.Service("db", "postgres") with { Image = "postgres:16" };
        var error = await Assert.ThrowsAsync<RuntimeException>(() => f.Runtime.CreateAsync(f.Replica(service), default));
        Assert.Contains("proj/db-1", error.Message, StringComparison.Ordinal);
        Assert.Contains("image: postgres:16", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_program_is_a_clear_error_naming_the_replica()
    {
        await using var f = new LocalFixture();
        var error = await Assert.ThrowsAsync<RuntimeException>(
            () => f.Runtime.CreateAsync(f.Replica(LocalFixture.Service("api", "no-such-program-xyz")), default));
        Assert.Equal("local runtime: proj/api-1: command 'no-such-program-xyz' not found in PATH", error.Message);
    }

    [Fact]
    public async Task The_exit_code_of_a_finished_process_is_recorded()
    {
        await using var f = new LocalFixture();
        await f.Runtime.CreateAsync(f.Replica(LocalFixture.Service("job", "sh", "-c", "exit 3")), default);

        Assert.Equal(3, await f.Runtime.WaitForCompletionAsync(f.Id("job"), default));
        var observed = await f.ObserveOneAsync("job");
        Assert.Equal(ReplicaState.Exited, observed.State);
        Assert.Equal(3, observed.ExitCode);
    }

    [Fact]
    public async Task Create_is_idempotent_for_the_same_hash_and_replaces_the_process_for_a_new_one()
    {
        await using var f = new LocalFixture();
        var service = LocalFixture.Service("api", "sleep", "30");
        var first = await f.Runtime.CreateAsync(f.Replica(service, hash: "h1"), default);
        var again = await f.Runtime.CreateAsync(f.Replica(service, hash: "h1"), default);
        Assert.Equal(first.Id, again.Id);

        var replaced = await f.Runtime.CreateAsync(f.Replica(service, hash: "h2", generation: 2), default);
        Assert.NotEqual(first.Id, replaced.Id);
        Assert.False(Poll.GroupAlive(LocalFixture.PidOf(first)));
        var observed = await f.ObserveOneAsync("api");
        Assert.Equal(("h2", 2L, ReplicaState.Running), (observed.ConfigHash, observed.Generation, observed.State));
    }

    [Fact]
    public async Task Stop_is_graceful_when_the_process_honours_sigterm()
    {
        await using var f = new LocalFixture();
        var marker = f.PathOf("terminated");
        var ready = f.PathOf("ready");
        var service = LocalFixture.Service("api", "sh", "-c", $"trap 'echo bye > {marker}; exit 0' TERM; touch {ready}; while :; do sleep 0.05; done") with
        {
            StopGracePeriod = TimeSpan.FromSeconds(20),
        };
        var created = await f.Runtime.CreateAsync(f.Replica(service), default);
        await Poll.UntilAsync(() => File.Exists(ready), Within, "the service has set its TERM trap");

        var clock = Stopwatch.StartNew();
        await f.Runtime.DeleteAsync(f.Id("api"), null, default);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"stop took {clock.Elapsed}");
        Assert.Equal("bye", (await File.ReadAllTextAsync(marker)).Trim());
        Assert.False(Poll.GroupAlive(LocalFixture.PidOf(created)));
        Assert.Empty((await f.Runtime.ObserveAsync(f.Project, default)).Replicas);
    }

    [Fact]
    public async Task Stop_escalates_to_sigkill_after_the_grace_period()
    {
        await using var f = new LocalFixture();
        var ready = f.PathOf("ready");
        var service = LocalFixture.Service("stubborn", "sh", "-c", $"trap '' TERM; touch {ready}; while :; do sleep 0.05; done") with
        {
            StopGracePeriod = TimeSpan.FromMilliseconds(700),
        };
        var created = await f.Runtime.CreateAsync(f.Replica(service), default);
        await Poll.UntilAsync(() => File.Exists(ready), Within, "the service ignores TERM");

        var clock = Stopwatch.StartNew();
        await f.Runtime.DeleteAsync(f.Id("stubborn"), null, default);

        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(650), $"killed before the grace period: {clock.Elapsed}");
        Assert.False(Poll.GroupAlive(LocalFixture.PidOf(created)));
    }

    [Fact]
    public async Task A_command_killed_by_hand_is_exited_with_its_status_and_a_killed_group_is_missing()
    {
        await using var f = new LocalFixture();
        var service = LocalFixture.Service("api", "sleep", "30");
        var created = await f.Runtime.CreateAsync(f.Replica(service), default);
        var group = LocalFixture.PidOf(created);
        int? sleeper = null;
        await Poll.UntilAsync(() => (sleeper = Poll.MemberRunning(group, "sleep\u000030\u0000")) is not null, Within, "sleep 30 runs");

        Process.GetProcessById(sleeper!.Value).Kill();
        await Poll.UntilAsync(async () => (await f.ObserveOneAsync("api")).State == ReplicaState.Exited, Within, "exited");
        Assert.Equal(137, (await f.ObserveOneAsync("api")).ExitCode);

        var restarted = await f.Runtime.StartAsync(f.Id("api"), default);
        Assert.NotEqual(created.Id, restarted.Id);
        Assert.Equal(ReplicaState.Running, restarted.State);

        Posix.SignalGroup(LocalFixture.PidOf(restarted), Posix.SigKill);
        await Poll.UntilAsync(async () => (await f.ObserveOneAsync("api")).State == ReplicaState.Missing, Within, "missing");
    }

    [Fact]
    public async Task A_reused_pid_with_another_start_time_is_missing_and_never_signalled()
    {
        await using var f = new LocalFixture();
        await f.Runtime.CreateAsync(f.Replica(LocalFixture.Service("api", "sleep", "30")), default);
        await f.Runtime.DeleteAsync(f.Id("api"), null, default);

        using var stranger = Process.Start(new ProcessStartInfo("sleep", "30") { UseShellExecute = false })!;
        try
        {
            var stat = ProcTable.Read(stranger.Id)!.Value;
            var paths = new LocalPaths(f.Directory, "proj");
            var forged = new ReplicaRecord(
                "proj", "api", 1, stranger.Id, stat.StartTicks + 1, ProcTable.BootId, "t", "h", 1, DateTimeOffset.UtcNow,
                LocalFixture.Service("api", "sleep", "30"));
            ReplicaRecordStore.Write(paths.StateFile("api", 1), forged);

            Assert.Equal(ReplicaState.Missing, (await f.ObserveOneAsync("api")).State);
            await f.Runtime.DeleteAsync(f.Id("api"), null, default);
            Assert.False(stranger.HasExited);
        }
        finally
        {
            stranger.Kill();
        }
    }

    [Fact]
    public async Task Observe_ignores_other_projects_in_the_same_directory()
    {
        await using var a = new LocalFixture(project: "alpha");
        var b = new ProjectRef("beta", a.Directory);
        await a.Runtime.CreateAsync(a.Replica(LocalFixture.Service("api", "sleep", "30")), default);

        // A record of another project copied into beta's directory must not be taken for beta's.
        var alphaFile = Path.Combine(a.Directory, ".nanokit", "local", "alpha", "api-1.json");
        Directory.CreateDirectory(Path.Combine(a.Directory, ".nanokit", "local", "beta"));
        File.Copy(alphaFile, Path.Combine(a.Directory, ".nanokit", "local", "beta", "api-1.json"));

        Assert.Empty((await a.Runtime.ObserveAsync(b, default)).Replicas);
        Assert.Single((await a.Runtime.ObserveAsync(a.Project, default)).Replicas);
    }

    [Fact]
    public async Task Watch_reports_a_replica_that_vanishes()
    {
        await using var f = new LocalFixture(new LocalRuntimeOptions { WatchInterval = TimeSpan.FromMilliseconds(100) });
        var created = await f.Runtime.CreateAsync(f.Replica(LocalFixture.Service("api", "sleep", "30")), default);
        using var cts = new CancellationTokenSource(Within);
        await using var changes = f.Runtime.WatchAsync(f.Project, cts.Token).GetAsyncEnumerator(cts.Token);
        var next = changes.MoveNextAsync().AsTask();

        Posix.SignalGroup(LocalFixture.PidOf(created), Posix.SigKill);

        Assert.True(await next);
        Assert.Equal(("api", ReplicaState.Missing), (changes.Current.Replica.Service, changes.Current.Replica.State));
    }

    private static async Task<List<string>> ReadLogAsync(LocalFixture f, ReplicaId id)
    {
        var lines = new List<string>();
        await foreach (var line in f.Runtime.ReadLogsAsync(id, LogReadOptions.All, default))
        {
            lines.Add(line);
        }

        return lines;
    }
}
