using System.Globalization;
using System.Text.RegularExpressions;
using Nanokit.Core.Model;
using Nanokit.Runtime;

namespace Nanokit.Providers.Local.Tests;

/// <summary>The log pump: each line of a local replica keeps the time it was written, and a stop loses none of them.</summary>
public sealed class LocalLogTimeTests
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Each_line_of_a_local_replica_keeps_the_time_it_was_written_and_since_keeps_the_lines_from_then_on()
    {
        await using var f = new LocalFixture();
        var before = DateTimeOffset.UtcNow;
        await f.Runtime.CreateAsync(f.Replica(LocalFixture.Service("api", "sh", "-c", "echo first; sleep 1; echo second; exec sleep 300")), default);
        await Poll.UntilAsync(async () => (await ReadAsync(f, LogReadOptions.All)).Contains("second"), Within, "the replica printed its second line");
        var after = DateTimeOffset.UtcNow;

        var stamped = await ReadAsync(f, new LogReadOptions(Timestamps: true));
        var matches = stamped.Select(l => Regex.Match(l, @"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z) (first|second)$")).ToList();
        Assert.True(matches.Count == 2 && matches.All(m => m.Success), string.Join('\n', stamped));
        var times = matches.Select(m => DateTimeOffset.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToList();

        Assert.True(f.Runtime.KnowsLineTimes);
        Assert.Equal(["first", "second"], await ReadAsync(f, LogReadOptions.All));
        Assert.InRange(times[0], before.AddSeconds(-1), after);
        Assert.InRange(times[1] - times[0], TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(10));
        Assert.Equal(["second"], await ReadAsync(f, new LogReadOptions(Since: times[1])));
        Assert.Equal(["first", "second"], await ReadAsync(f, new LogReadOptions(Since: times[0])));
        Assert.Empty(await ReadAsync(f, new LogReadOptions(Since: after.AddMinutes(1))));
        Assert.Equal(["second"], await ReadAsync(f, new LogReadOptions(Tail: 5, Since: times[1].AddTicks(-1))));
    }

    [Fact]
    public async Task A_stop_loses_none_of_the_lines_a_replica_prints_on_sigterm_and_its_exit_code_is_recorded()
    {
        await using var f = new LocalFixture();
        var ready = f.PathOf("ready");
        var service = LocalFixture.Service(
            "api", "sh", "-c", $"trap 'i=0; while [ $i -lt 2000 ]; do echo bye $i; i=$((i+1)); done; exit 3' TERM; touch {ready}; while :; do sleep 0.05; done") with
        {
            StopGracePeriod = TimeSpan.FromSeconds(20),
        };
        await f.Runtime.CreateAsync(f.Replica(service), default);
        await Poll.UntilAsync(() => File.Exists(ready), Within, "the service has set its TERM trap");

        await f.Runtime.StopAsync(f.Id("api"), null, default);
        var stopped = await f.ObserveOneAsync("api");
        var lines = await ReadAsync(f, LogReadOptions.All);

        Assert.Equal((ReplicaState.Exited, 3), (stopped.State, stopped.ExitCode));
        Assert.Equal(Enumerable.Range(0, 2000).Select(i => $"bye {i}"), lines.Where(l => l.StartsWith("bye", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_hook_that_leaves_a_helper_holding_its_output_ends_when_its_command_does()
    {
        await using var f = new LocalFixture();
        var hook = new Hook(["sh", "-c", "sleep 30 & echo started"], HookLocation.Host, TimeSpan.FromSeconds(20));
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var result = await f.Runtime.RunHookAsync(f.Project, LocalFixture.Service("api", "true") with { Hooks = new HooksSpec(hook, null, null) }, HookKind.Prestart, default);

        Assert.Equal((0, false, "started\n"), (result.ExitCode, result.TimedOut, result.OutputTail));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"the hook took {clock.Elapsed}");
    }

    [Fact]
    public async Task A_line_stored_without_a_time_reads_as_written_and_since_leaves_it_out()
    {
        await using var f = new LocalFixture();
        var log = LocalRuntime.LogPath(f.Id("api"));
        Directory.CreateDirectory(Path.GetDirectoryName(log)!);
        // As an earlier nkapp left it: the first line without a time (one that merely looks like a time is text too).
        await File.WriteAllTextAsync(log, "plain old line\n2026-12-02T05:15:00Z\n2026-12-02T05:15:01.000001Z stamped\n2026-12-02T05:15:02Z whole second\n");

        Assert.Equal(["plain old line", "2026-12-02T05:15:00Z", "stamped", "whole second"], await ReadAsync(f, LogReadOptions.All));
        Assert.Equal(
            ["plain old line", "2026-12-02T05:15:00Z", "2026-12-02T05:15:01.000001Z stamped", "2026-12-02T05:15:02Z whole second"],
            await ReadAsync(f, new LogReadOptions(Timestamps: true)));
        Assert.Equal(["stamped", "whole second"], await ReadAsync(f, new LogReadOptions(Since: DateTimeOffset.Parse("2026-12-02T05:15:01Z", CultureInfo.InvariantCulture))));
        Assert.Equal(["whole second"], await ReadAsync(f, new LogReadOptions(Since: DateTimeOffset.Parse("2026-12-02T05:15:01.000002Z", CultureInfo.InvariantCulture))));
    }

    private static async Task<List<string>> ReadAsync(LocalFixture f, LogReadOptions options)
    {
        var lines = new List<string>();
        await foreach (var line in f.Runtime.ReadLogsAsync(f.Id("api"), options, default))
        {
            lines.Add(line);
        }

        return lines;
    }
}
