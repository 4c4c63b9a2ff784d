using System.Diagnostics;

namespace Nanokit.Cli.Tests;

/// <summary><c>up --no-deps</c>, <c>down -t</c> and <c>stop -t</c> as Compose users type them, with real processes.</summary>
public sealed class ComposeFlagTests : IDisposable
{
    private readonly CliRun cli = new();
    private readonly string marker = Random.Shared.Next(10_000, 99_999).ToString();

    public void Dispose()
    {
        RealProcesses.KillAll($"sleep {marker}");
        cli.Dispose();
    }

    [Fact]
    public async Task Up_no_deps_starts_the_named_service_alone()
    {
        cli.Write("nanokit.yml", $"name: flags\nservices:\n  db:\n    command: [sleep, '{marker}1']\n  web:\n    command: [sleep, '{marker}2']\n    depends_on: [db]\n");

        var up = await cli.RunAsync("up", "--no-deps", "web");

        Assert.True(up.Exit == 0, up.Out + up.Error);
        await ExpectProcessesAsync(1, $"{marker}2");
        Assert.Equal(0, RealProcesses.Count("sleep", $"{marker}1"));
    }

    [Theory]
    [InlineData("100000", "--timeout: '100000': a stop timeout cannot be longer than a day (24h)")]
    [InlineData("25h", "--timeout: '25h': a stop timeout cannot be longer than a day (24h)")]
    [InlineData("99999999999999999999", "--timeout: '99999999999999999999' is not a duration")]
    [InlineData("-5", "--timeout: '-5' is not a duration")]
    public async Task Down_t_that_cannot_be_a_stop_timeout_is_refused_naming_the_flag_before_anything_is_sent_to_a_server(string timeout, string error)
    {
        cli.Write("nanokit.yml", $"name: flags\nservices:\n  db:\n    command: [sleep, '{marker}1']\n");

        // Nothing listens on port 9: a request sent would fail as unreachable, not with this refusal.
        var down = await cli.RunAsync("--server", "http://127.0.0.1:9", "--token", "t", "down", "-t", timeout);

        Assert.Equal((1, ""), (down.Exit, down.Out));
        Assert.Contains(error, down.Error);
    }

    [Theory]
    [InlineData("-v")]
    [InlineData("--volumes")]
    [InlineData("--rmi", "all")]
    public async Task Down_v_and_rmi_over_a_server_are_refused_before_anything_is_sent_not_accepted_and_ignored(params string[] flags)
    {
        cli.Write("nanokit.yml", $"name: flags\nservices:\n  db:\n    command: [sleep, '{marker}1']\n");

        // Nothing listens on port 9: a request sent would fail as unreachable, not with this refusal.
        var down = await cli.RunAsync(["--server", "http://127.0.0.1:9", "--token", "t", "down", .. flags]);

        Assert.Equal((1, ""), (down.Exit, down.Out));
        Assert.Contains("-v/--volumes and --rmi are not yet available with --server; nothing was changed", down.Error);
    }

    [Theory]
    [InlineData("top")]
    [InlineData("pull")]
    [InlineData("state", "export")]
    public async Task Commands_that_run_only_embedded_refuse_a_server_instead_of_answering_for_this_machine(params string[] command)
    {
        cli.Write("nanokit.yml", $"name: flags\nservices:\n  db:\n    command: [sleep, '{marker}1']\n");

        var refused = await cli.RunAsync(["--server", "http://127.0.0.1:9", "--token", "t", .. command]);

        Assert.Equal((1, ""), (refused.Exit, refused.Out));
        Assert.Contains($"nkapp {string.Join(' ', command.Take(command[0] == "state" ? 2 : 1))}: not yet available with --server; nothing was done (", refused.Error);
    }

    [Fact]
    public async Task Down_t_and_stop_t_kill_a_replica_that_ignores_sigterm_without_waiting_its_grace_period()
    {
        // The replica ignores SIGTERM, so only the kill after the timeout ends it; its own grace period is 10 minutes.
        cli.Write("nanokit.yml", $"name: flags\nservices:\n  stubborn:\n    command: [sh, -c, \"trap '' TERM; exec sleep {marker}3\"]\n    stop_grace_period: 10m\n");
        Assert.Equal(0, (await cli.RunAsync("up")).Exit);
        await ExpectProcessesAsync(1, $"{marker}3");

        var clock = Stopwatch.StartNew();
        var stop = await cli.RunAsync("stop", "-t", "0");
        var stopped = clock.Elapsed;
        Assert.Equal(0, (await cli.RunAsync("start")).Exit);
        await ExpectProcessesAsync(1, $"{marker}3");
        clock.Restart();
        var down = await cli.RunAsync("down", "--timeout", "1s");
        var downed = clock.Elapsed;

        Assert.True(stop.Exit == 0, stop.Out + stop.Error);
        Assert.True(down.Exit == 0, down.Out + down.Error);
        Assert.True(stopped < TimeSpan.FromMinutes(2) && downed < TimeSpan.FromMinutes(2), $"stop took {stopped}, down took {downed}");
        Assert.Equal(0, RealProcesses.Count("sleep", $"{marker}3"));
    }

    [Fact]
    public async Task A_timeout_that_is_no_duration_is_refused_in_one_line()
    {
        cli.Write("nanokit.yml", $"name: flags\nservices:\n  db:\n    command: [sleep, '{marker}1']\n");

        var (exit, _, error) = await cli.RunAsync("down", "-t", "soon");

        Assert.Equal(1, exit);
        Assert.Contains("--timeout: 'soon' is not a duration", error);
    }

    private static async Task ExpectProcessesAsync(int count, string arg)
    {
        var deadline = Stopwatch.StartNew();
        while (RealProcesses.Count("sleep", arg) != count)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(60), $"{count} processes running sleep {arg}: not met within 60 s");
            await Task.Delay(50);
        }
    }
}
