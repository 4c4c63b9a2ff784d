using System.Diagnostics;
using Nanokit.Core.Model;
using Nanokit.Runtime;

namespace Nanokit.Providers.Docker.Tests;

public sealed class DockerHookAndLogTests
{
    [Fact]
    public async Task A_host_hook_runs_on_the_host_with_the_service_environment_and_reports_its_exit_code()
    {
        await using var p = await DockerProject.StartAsync();
        var hook = new Hook(["sh", "-c", "echo \"$GREETING from $(pwd)\"; exit 4"], HookLocation.Host, TimeSpan.FromSeconds(10));
        var service = DockerProject.Service("web") with
        {
            Environment = System.Collections.Immutable.ImmutableSortedDictionary<string, string?>.Empty.Add("GREETING", "hello"),
            Hooks = new HooksSpec(hook, null, null),
        };

        var result = await p.Runtime.RunHookAsync(p.Project, service, HookKind.Prestart, DockerProject.Timeout());

        Assert.Equal((4, false), (result.ExitCode, result.TimedOut));
        Assert.Equal($"hello from {p.Project.Directory}", result.OutputTail.Trim());
    }

    [Fact]
    public async Task A_prestart_hook_runs_in_a_one_off_container_of_the_service_image_that_is_removed_afterwards()
    {
        await using var p = await DockerProject.StartAsync();
        var hook = new Hook(["sh", "-c", "cat /etc/nanokit-image; echo to-stderr >&2"], HookLocation.Service, TimeSpan.FromSeconds(20));
        var service = DockerProject.Service("web", DockerProject.Image2) with { Hooks = new HooksSpec(hook, null, null) };

        var result = await p.Runtime.RunHookAsync(p.Project, service, HookKind.Prestart, DockerProject.Timeout());

        Assert.True(result.Succeeded, result.OutputTail);
        Assert.Equal(["nanokit-test/busybox:2", "to-stderr"], result.OutputTail.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order());
        Assert.Equal("", (await DockerProject.DockerCliAsync("ps", "-aq", "--filter", "label=io.nanokit.project=" + p.Project.Name)).Trim());
    }

    [Fact]
    public async Task A_prestart_hook_cancelled_while_its_container_runs_leaves_no_container_behind()
    {
        await using var p = await DockerProject.StartAsync();
        var service = DockerProject.Service("web") with { Hooks = new HooksSpec(new Hook(["sleep", "30"], HookLocation.Service, TimeSpan.FromSeconds(60)), null, null) };
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        var run = p.Runtime.RunHookAsync(p.Project, service, HookKind.Prestart, cts.Token);
        var running = await DockerProject.EventuallyAsync(() => HookContainersAsync(p, "web", "--filter", "status=running"), ids => ids.Length > 0, seconds: 30);
        await cts.CancelAsync();

        Assert.NotEmpty(running);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.Empty(await HookContainersAsync(p, "web"));
    }

    [Fact]
    public async Task A_prestart_hook_first_removes_the_services_hook_containers_a_crash_left_behind()
    {
        await using var p = await DockerProject.StartAsync();
        foreach (var (name, hookOf) in new[] { ("web-prestart-dead", "web"), ("api-prestart-dead", "api") })
        {
            await DockerProject.DockerCliAsync(
                "create", "--name", $"{p.Project.Name}-{name}", "--label", "io.nanokit.project=" + p.Project.Name, "--label", "io.nanokit.hook=" + hookOf,
                DockerProject.Image1, "true");
        }

        var service = DockerProject.Service("web") with { Hooks = new HooksSpec(new Hook(["true"], HookLocation.Service, TimeSpan.FromSeconds(30)), null, null) };
        var result = await p.Runtime.RunHookAsync(p.Project, service, HookKind.Prestart, DockerProject.Timeout());

        Assert.True(result.Succeeded, result.OutputTail);
        Assert.Empty(await HookContainersAsync(p, "web"));
        Assert.Single(await HookContainersAsync(p, "api"));
    }

    [Fact]
    public async Task A_prestart_hook_waits_for_the_hook_container_a_killed_nkapp_left_running_and_never_runs_alongside_it()
    {
        await using var p = await DockerProject.StartAsync();
        var leftover = $"{p.Project.Name}-web-prestart-leftover";
        var since = DateTimeOffset.UtcNow.AddSeconds(-1);
        await DockerProject.DockerCliAsync(
            "run", "-d", "--name", leftover, "--label", "io.nanokit.project=" + p.Project.Name, "--label", "io.nanokit.hook=web", DockerProject.Image1, "sleep", "3");

        var service = DockerProject.Service("web") with { Hooks = new HooksSpec(new Hook(["true"], HookLocation.Service, TimeSpan.FromSeconds(60)), null, null) };
        var result = await p.Runtime.RunHookAsync(p.Project, service, HookKind.Prestart, DockerProject.Timeout(60));

        Assert.True(result.Succeeded, result.OutputTail);
        var events = await HookEventsAsync(p, since);
        var leftoverDied = Assert.Single(events, e => e.Name == leftover && e.Action == "die").At;
        var next = Assert.Single(events, e => e.Name != leftover && e.Action == "start");
        Assert.True(next.At > leftoverDied, $"the next hook started at {next.At}, before the leftover ended at {leftoverDied}");
        Assert.Empty(await HookContainersAsync(p, "web"));
    }

    [Fact]
    public async Task A_hook_container_left_running_past_its_timeout_is_killed_before_the_hook_runs_again()
    {
        await using var p = await DockerProject.StartAsync();
        await DockerProject.DockerCliAsync(
            "run", "-d", "--name", $"{p.Project.Name}-web-prestart-leftover", "--label", "io.nanokit.project=" + p.Project.Name, "--label", "io.nanokit.hook=web",
            DockerProject.Image1, "sleep", "300");

        var service = DockerProject.Service("web") with { Hooks = new HooksSpec(new Hook(["true"], HookLocation.Service, TimeSpan.FromSeconds(2)), null, null) };
        var clock = Stopwatch.StartNew();
        var result = await p.Runtime.RunHookAsync(p.Project, service, HookKind.Prestart, DockerProject.Timeout(60));

        Assert.True(result.Succeeded, result.OutputTail);
        Assert.Empty(await HookContainersAsync(p, "web"));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task Disposing_the_runtime_stops_its_running_hook_and_removes_the_container_before_it_returns()
    {
        await using var p = await DockerProject.StartAsync();
        var runtime = new DockerRuntime(new DockerRuntimeOptions { Endpoint = DockerEndpoint.Parse(DockerProject.Host) });
        var service = DockerProject.Service("web") with { Hooks = new HooksSpec(new Hook(["sleep", "300"], HookLocation.Service, TimeSpan.FromSeconds(600)), null, null) };

        var run = runtime.RunHookAsync(p.Project, service, HookKind.Prestart, CancellationToken.None);
        var running = await DockerProject.EventuallyAsync(() => HookContainersAsync(p, "web", "--filter", "status=running"), ids => ids.Length > 0, seconds: 30);
        await runtime.DisposeAsync();

        Assert.NotEmpty(running);
        Assert.Empty(await HookContainersAsync(p, "web"));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
    }

    [Fact]
    public async Task A_poststart_hook_cancelled_while_it_runs_in_the_replica_does_not_go_on_running_there()
    {
        await using var p = await DockerProject.StartAsync();
        var service = DockerProject.Service("web") with { Hooks = new HooksSpec(null, new Hook(["sleep", "301"], HookLocation.Service, TimeSpan.FromSeconds(600)), null) };
        var created = await p.Runtime.CreateAsync(p.Replica(service), DockerProject.Timeout());
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        var run = p.Runtime.RunHookAsync(p.Project, service, HookKind.Poststart, cts.Token);
        var started = await DockerProject.EventuallyAsync(() => DockerProject.DockerCliAsync("top", created.Id!), top => top.Contains("sleep 301", StringComparison.Ordinal), seconds: 30);
        await cts.CancelAsync();

        Assert.Contains("sleep 301", started, StringComparison.Ordinal);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        var after = await DockerProject.EventuallyAsync(() => DockerProject.DockerCliAsync("top", created.Id!), top => !top.Contains("sleep 301", StringComparison.Ordinal));
        Assert.DoesNotContain("sleep 301", after, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_environment_key_that_is_not_a_valid_name_never_replaces_a_variable_in_the_container()
    {
        await using var p = await DockerProject.StartAsync();
        var service = DockerProject.Service("web") with
        {
            Environment = System.Collections.Immutable.ImmutableSortedDictionary<string, string?>.Empty.Add("PATH=/nowhere:/bin", "x").Add("GOOD", "z"),
            Hooks = new HooksSpec(new Hook(["sh", "-c", "echo \"$PATH\"; env | grep -c nowhere; echo $GOOD"], HookLocation.Service, TimeSpan.FromSeconds(30)), null, null),
        };

        var result = await p.Runtime.RunHookAsync(p.Project, service, HookKind.Prestart, DockerProject.Timeout());

        Assert.True(result.ExitCode == 0, result.OutputTail);
        var lines = result.OutputTail.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.DoesNotContain("nowhere", lines[0], StringComparison.Ordinal);
        Assert.Equal(["0", "z"], lines[1..]);
    }

    [Fact]
    public async Task A_host_hook_still_running_for_another_nkapp_is_waited_for_and_never_runs_alongside()
    {
        await using var p = await DockerProject.StartAsync();
        using var other = new DockerRuntime(new DockerRuntimeOptions { Endpoint = DockerEndpoint.Parse(DockerProject.Host) });
        var dir = p.Project.Directory;
        var script = $"mkdir {dir}/running || echo overlap >> {dir}/overlaps; echo start >> {dir}/runs; sleep 1; echo end >> {dir}/runs; rmdir {dir}/running";
        var service = DockerProject.Service("web") with { Hooks = new HooksSpec(new Hook(["sh", "-c", script], HookLocation.Host, TimeSpan.FromSeconds(30)), null, null) };

        var first = other.RunHookAsync(p.Project, service, HookKind.Prestart, DockerProject.Timeout());
        await DockerProject.EventuallyAsync(() => Task.FromResult(Directory.Exists(Path.Combine(dir, "running"))), running => running);
        var second = await p.Runtime.RunHookAsync(p.Project, service, HookKind.Prestart, DockerProject.Timeout());

        Assert.True((await first).Succeeded);
        Assert.True(second.Succeeded, second.OutputTail);
        Assert.False(File.Exists(Path.Combine(dir, "overlaps")), "two copies of the host hook ran at once");
        Assert.Equal(["start", "end", "start", "end"], await File.ReadAllLinesAsync(Path.Combine(dir, "runs")));
    }

    /// <summary>The daemon's start and die events of the project's hook containers since <paramref name="since"/>, to the nanosecond.</summary>
    private static async Task<List<(string Name, string Action, long At)>> HookEventsAsync(DockerProject p, DateTimeOffset since)
    {
        var lines = await DockerProject.DockerCliAsync(
            "events", "--since", since.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--until", DateTimeOffset.UtcNow.AddSeconds(1).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--filter", "type=container", "--filter", "label=io.nanokit.project=" + p.Project.Name,
            "--filter", "event=start", "--filter", "event=die", "--format", "{{.Actor.Attributes.name}} {{.Action}} {{.TimeNano}}");
        return lines.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' '))
            .Select(f => (f[0], f[1], long.Parse(f[2], System.Globalization.CultureInfo.InvariantCulture)))
            .ToList();
    }

    [Fact]
    public async Task Following_logs_goes_on_with_the_replacement_and_the_restarted_container_without_repeating_lines()
    {
        await using var p = await DockerProject.StartAsync();
        var v1 = DockerProject.Service("web") with { Command = ["sh", "-c", "trap 'exit 0' TERM; echo first; while :; do sleep 0.2; done"] };
        var v2 = v1 with
        {
            Command = ["sh", "-c", "trap 'exit 0' TERM; n=$(cat /tmp/runs 2>/dev/null || echo 0); n=$((n+1)); echo $n > /tmp/runs; echo run $n; while :; do sleep 0.2; done"],
        };
        await p.Runtime.CreateAsync(p.Replica(v1), DockerProject.Timeout());
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var lines = p.Runtime.ReadLogsAsync(p.Id("web"), new LogReadOptions(Follow: true), cts.Token).GetAsyncEnumerator(cts.Token);
        try
        {
            Assert.True(await lines.MoveNextAsync());
            Assert.Equal("first", lines.Current);

            var replaced = lines.MoveNextAsync().AsTask();
            await p.Runtime.CreateAsync(p.Replica(v2, hash: "h2"), DockerProject.Timeout());
            Assert.True(await replaced);
            Assert.Equal("run 1", lines.Current);

            var restarted = lines.MoveNextAsync().AsTask();
            await DockerProject.DockerCliAsync("restart", "-t", "5", p.Project.Name + "-web-1");
            Assert.True(await restarted);
            Assert.Equal("run 2", lines.Current);
        }
        finally
        {
            await cts.CancelAsync();
            await lines.DisposeAsync();
        }
    }

    [Fact]
    public async Task Poststart_hooks_exec_in_replica_1_and_a_hook_past_its_timeout_is_reported_timed_out()
    {
        await using var p = await DockerProject.StartAsync();
        var poststart = new Hook(["sh", "-c", "touch /tmp/hooked && echo done; exit 2"], HookLocation.Service, TimeSpan.FromSeconds(10));
        var slow = new Hook(["sleep", "30"], HookLocation.Service, TimeSpan.FromSeconds(1));
        var service = DockerProject.Service("web") with { Hooks = new HooksSpec(null, poststart, slow) };
        var created = await p.Runtime.CreateAsync(p.Replica(service), DockerProject.Timeout());

        var result = await p.Runtime.RunHookAsync(p.Project, service, HookKind.Poststart, DockerProject.Timeout());
        var timedOut = await p.Runtime.RunHookAsync(p.Project, service, HookKind.Prestop, DockerProject.Timeout());

        Assert.Equal((2, "done"), (result.ExitCode, result.OutputTail.Trim()));
        await DockerProject.DockerCliAsync("exec", created.Id!, "test", "-f", "/tmp/hooked");
        Assert.True(timedOut.TimedOut);
        Assert.True(timedOut.Duration < TimeSpan.FromSeconds(10), $"took {timedOut.Duration}");
    }

    [Fact]
    public async Task Logs_are_demultiplexed_into_lines_from_stdout_and_stderr_and_tail_limits_them()
    {
        await using var p = await DockerProject.StartAsync();
        var service = DockerProject.Service("web") with { Command = ["sh", "-c", "echo one; echo two >&2; echo three; exit 0"] };
        await p.Runtime.CreateAsync(p.Replica(service), DockerProject.Timeout());
        await p.Runtime.WaitForCompletionAsync(p.Id("web"), DockerProject.Timeout());

        var all = await ReadAsync(p.Runtime.ReadLogsAsync(p.Id("web"), LogReadOptions.All, DockerProject.Timeout()));
        var tail = await ReadAsync(p.Runtime.ReadLogsAsync(p.Id("web"), new LogReadOptions(Tail: 1), DockerProject.Timeout()));

        Assert.Equal(["one", "three", "two"], all.Order());
        Assert.Single(tail);
        var missing = await Assert.ThrowsAsync<RuntimeException>(() => ReadAsync(p.Runtime.ReadLogsAsync(p.Id("nope"), LogReadOptions.All, DockerProject.Timeout())));
        Assert.Contains($"{p.Project.Name}/nope-1: logs:", missing.Message);
    }

    [Fact]
    public async Task Following_logs_since_an_instant_starts_there_and_keeps_each_lines_timestamp_when_asked()
    {
        await using var p = await DockerProject.StartAsync();
        var service = DockerProject.Service("web") with { Command = ["sh", "-c", "trap 'exit 0' TERM; echo first; sleep 1; echo second; while :; do sleep 0.2; done"] };
        await p.Runtime.CreateAsync(p.Replica(service), DockerProject.Timeout());
        var stamped = await DockerProject.EventuallyAsync(
            () => ReadAsync(p.Runtime.ReadLogsAsync(p.Id("web"), new LogReadOptions(Timestamps: true), DockerProject.Timeout())),
            lines => lines.Count == 2, seconds: 30);
        var second = stamped[1].Split(' ')[0];

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var since = DateTimeOffset.Parse(second[..27] + "Z", System.Globalization.CultureInfo.InvariantCulture);
        var lines = p.Runtime.ReadLogsAsync(p.Id("web"), new LogReadOptions(Follow: true, Timestamps: true, Since: since), cts.Token).GetAsyncEnumerator(cts.Token);
        try
        {
            Assert.EndsWith(" first", stamped[0]);
            Assert.True(await lines.MoveNextAsync());
            Assert.Equal(second + " second", lines.Current);
        }
        finally
        {
            await cts.CancelAsync();
            await lines.DisposeAsync();
        }
    }

    private static async Task<string[]> HookContainersAsync(DockerProject p, string service, params string[] filters) =>
        (await DockerProject.DockerCliAsync(
            ["ps", "-aq", "--filter", "label=io.nanokit.project=" + p.Project.Name, "--filter", "label=io.nanokit.hook=" + service, .. filters]))
        .Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private static async Task<List<string>> ReadAsync(IAsyncEnumerable<string> lines)
    {
        var result = new List<string>();
        await foreach (var line in lines)
        {
            result.Add(line);
        }

        return result;
    }
}
