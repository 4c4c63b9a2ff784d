using System.Text.RegularExpressions;

namespace Nanokit.Cli.Tests;

/// <summary><c>nkapp top</c> on the local runtime, against real processes: the members of each replica's process group.</summary>
public sealed class LocalTopTests : IDisposable
{
    private readonly CliRun cli = new();
    private readonly string marker = Random.Shared.Next(10_000, 99_999).ToString();

    public void Dispose()
    {
        RealProcesses.KillAll($"sleep {marker}");
        cli.Dispose();
    }

    [Fact]
    public async Task Top_on_local_lists_each_running_replicas_processes_with_their_pids_and_commands()
    {
        cli.Write("nanokit.yml", $"""
            name: toplocal
            services:
              web:
                command: [sh, -c, "sleep {marker}1 & exec sleep {marker}2"]
              other:
                command: [sleep, "{marker}3"]
            """);
        var up = await cli.RunAsync("up");
        Assert.True(up.Exit == 0, up.Out + up.Error);
        var forked = await PidAsync("sleep", $"{marker}1");
        var command = await PidAsync("sleep", $"{marker}2");

        var (exit, output, error) = await cli.RunAsync("top", "web");

        Assert.True(exit == 0, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("toplocal-web-1", lines[0]);
        Assert.Matches(@"^PID +CMD$", lines[1]);
        Assert.Contains(lines, l => Regex.IsMatch(l, $"^{forked} +sleep {marker}1$"));
        Assert.Contains(lines, l => Regex.IsMatch(l, $"^{command} +sleep {marker}2$"));
        Assert.DoesNotContain($"{marker}3", output);
    }

    [Fact]
    public async Task Top_on_local_shows_nothing_for_a_stopped_replica()
    {
        cli.Write("nanokit.yml", $"""
            name: toplocal
            services:
              web:
                command: [sleep, "{marker}4"]
            """);
        Assert.Equal(0, (await cli.RunAsync("up")).Exit);
        var running = await cli.RunAsync("top");
        var stop = await cli.RunAsync("stop", "web");

        var (exit, output, error) = await cli.RunAsync("top");

        Assert.Contains($"sleep {marker}4", running.Out);
        Assert.True(stop.Exit == 0, stop.Out + stop.Error);
        Assert.True(exit == 0, error);
        Assert.Equal("", output);
    }

    /// <summary>The one live process running exactly <paramref name="argv"/>, waited for with a deadline (a fork may lag the start).</summary>
    private static async Task<int> PidAsync(params string[] argv)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            if (RealProcesses.Pids(argv) is [var pid])
            {
                return pid;
            }

            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {string.Join(' ', argv)}");
            await Task.Delay(100);
        }
    }
}
