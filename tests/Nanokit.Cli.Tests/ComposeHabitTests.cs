using System.Text.Json;

namespace Nanokit.Cli.Tests;

/// <summary>The commands and spellings Compose users reach for, against real local processes.</summary>
public sealed class ComposeHabitTests : IDisposable
{
    private readonly CliRun cli = new();
    private readonly string marker = Random.Shared.Next(10_000, 99_999).ToString();

    public void Dispose()
    {
        RealProcesses.KillAll($"sleep {marker}");
        cli.Dispose();
    }

    private string Project() => $"""
        name: habits
        services:
          db:
            command: [sh, -c, "echo db ready; exec sleep {marker}1"]
          web:
            command: [sh, -c, "echo web on $$NANOKIT_REPLICA; exec sleep {marker}2"]
            deploy: {"{"}replicas: 2{"}"}
            depends_on: {"{"}db: {"{"}condition: service_started{"}"}, once: {"{"}condition: service_completed_successfully{"}"}{"}"}
          once:
            command: [sh, -c, "echo done"]
        """;

    [Fact]
    public async Task Ps_lists_running_replicas_and_all_of_them_with_a()
    {
        cli.Write("nanokit.yml", Project());
        var up = await cli.RunAsync("up", "-d");
        Assert.True(up.Exit == 0, up.Out + up.Error);
        await UntilAsync(async () => (await cli.RunAsync("ps", "-a")).Out.Contains("exited (0)", StringComparison.Ordinal));

        var ps = await cli.RunAsync("ps");
        var all = await cli.RunAsync("ps", "-a", "--format", "json");

        Assert.Equal(0, ps.Exit);
        var lines = ps.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["NAME", "habits-db-1", "habits-web-1", "habits-web-2"], lines.Select(l => l.Split(' ')[0]));
        // A local process publishes no ports (ports: is refused on runtime local), so its row ends at its state.
        Assert.Matches(@"^habits-db-1 +db +running$", lines[1]);
        using var json = JsonDocument.Parse(all.Out);
        Assert.Equal(["habits-db-1", "habits-once-1", "habits-web-1", "habits-web-2"], json.RootElement.EnumerateArray().Select(r => r.GetProperty("name").GetString()));
        Assert.Equal("exited (0)", json.RootElement[1].GetProperty("state").GetString());
    }

    [Fact]
    public async Task Logs_without_a_service_interleaves_every_replica_with_aligned_prefixes()
    {
        cli.Write("nanokit.yml", Project());
        Assert.Equal(0, (await cli.RunAsync("up")).Exit);
        // Every replica has written its line (the two web replicas start together, in no set order).
        await UntilAsync(async () => (await cli.RunAsync("logs")).Out is var all
            && all.Contains("web-1  | web on 1", StringComparison.Ordinal) && all.Contains("web-2  | web on 2", StringComparison.Ordinal)
            && all.Contains("once-1 | done", StringComparison.Ordinal) && all.Contains("db-1   | db ready", StringComparison.Ordinal));

        var (exit, output, error) = await cli.RunAsync("logs", "--tail", "1");

        Assert.True(exit == 0, error);
        Assert.Contains("db-1   | db ready", output);
        Assert.Contains("once-1 | done", output);
        Assert.Contains("web-1  | web on 1", output);
        Assert.Contains("web-2  | web on 2", output);
    }

    [Fact]
    public async Task Up_refuses_detach_together_with_watch()
    {
        cli.Write("nanokit.yml", Project());

        var (exit, _, error) = await cli.RunAsync("up", "-d", "--watch");

        Assert.Equal(1, exit);
        Assert.Contains("--detach and --watch", error);
    }

    [Fact]
    public async Task Up_wait_returns_once_a_service_nothing_depends_on_is_healthy()
    {
        cli.Write("nanokit.yml", $$"""
            name: habits
            services:
              slow:
                command: [sh, -c, "sleep 1; touch ready; exec sleep {{marker}}3"]
                healthcheck: {test: [CMD-SHELL, test -f ready], interval: 200ms, retries: 50}
                hooks: {prestart: [rm, -f, ready]}
            """);

        var up = await cli.RunAsync("up", "--wait", "--timeout", "1m");
        var ps = await cli.RunAsync("ps", "--format", "json");

        Assert.True(up.Exit == 0, up.Out + up.Error);
        using var json = JsonDocument.Parse(ps.Out);
        Assert.Equal("healthy", json.RootElement[0].GetProperty("health").GetString());
    }

    [Fact]
    public async Task Up_wait_exits_1_naming_a_replica_that_turns_unhealthy()
    {
        cli.Write("nanokit.yml", $$"""
            name: habits
            services:
              sick:
                command: [sleep, "{{marker}}4"]
                healthcheck: {test: [CMD, "false"], interval: 200ms, retries: 2}
            """);

        var (exit, _, error) = await cli.RunAsync("up", "--wait", "--timeout", "1m");

        Assert.Equal(1, exit);
        Assert.Contains("habits: unhealthy: sick-1", error);
    }

    /// <summary>Polls a condition of the outside world (a one-off's exit being recorded) with a deadline.</summary>
    private static async Task UntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting");
            await Task.Delay(100);
        }
    }
}
