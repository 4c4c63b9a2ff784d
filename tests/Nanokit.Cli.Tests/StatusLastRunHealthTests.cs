using System.Text.Json;

namespace Nanokit.Cli.Tests;

/// <summary>
/// <c>status</c> in a new process, against real local processes: where its own first probe has no verdict yet, it
/// shows the health the last run saw, marked as such, instead of "starting".
/// </summary>
public sealed class StatusLastRunHealthTests : IDisposable
{
    private readonly CliRun cli = new();
    private readonly string marker = Random.Shared.Next(10_000, 99_999).ToString();

    public void Dispose()
    {
        RealProcesses.KillAll($"sleep {marker}");
        cli.Dispose();
    }

    [Fact]
    public async Task Status_shows_a_replica_the_last_run_saw_unhealthy_as_unhealthy_not_starting()
    {
        cli.Write("nanokit.yml", Sick());

        var up = await cli.RunAsync("up", "--wait", "--timeout", "1m");
        var json = await cli.RunAsync("status", "--format", "json");
        var table = await cli.RunAsync("status");

        Assert.True(up.Exit == 1, up.Out + up.Error);
        var replica = Replica(json.Out);
        Assert.Equal("unhealthy", replica.GetProperty("health").GetString());
        Assert.Equal(JsonValueKind.String, replica.GetProperty("healthRecordedAt").ValueKind);
        Assert.Matches(@"sick\s+1\s+running\s+unhealthy \(last run, \d+s ago\)", table.Out);
    }

    [Fact]
    public async Task Status_shows_a_replica_the_last_run_saw_healthy_as_healthy_while_its_own_probe_fails()
    {
        // The probe succeeds once (during `up --wait`) and fails after, well within retries: a new process's probe
        // alone would say "starting".
        cli.Write("nanokit.yml", $$"""
            name: lastrun
            services:
              once:
                command: [sleep, "{{marker}}2"]
                healthcheck: {test: [CMD-SHELL, "test ! -f probed && touch probed"], interval: 200ms, retries: 50}
            """);

        var up = await cli.RunAsync("up", "--wait", "--timeout", "1m");
        var json = await cli.RunAsync("status", "--format", "json");
        var table = await cli.RunAsync("status");

        Assert.True(up.Exit == 0, up.Out + up.Error);
        Assert.Equal("healthy", Replica(json.Out).GetProperty("health").GetString());
        Assert.Matches(@"once\s+1\s+running\s+healthy \(last run, \d+s ago\)", table.Out);
    }

    [Fact]
    public async Task Status_shows_a_fresh_verdict_without_the_last_run_mark()
    {
        cli.Write("nanokit.yml", $$"""
            name: lastrun
            services:
              fine:
                command: [sleep, "{{marker}}3"]
                healthcheck: {test: [CMD, "true"], interval: 200ms, retries: 2}
            """);

        var up = await cli.RunAsync("up", "--wait", "--timeout", "1m");
        var json = await cli.RunAsync("status", "--format", "json");

        Assert.True(up.Exit == 0, up.Out + up.Error);
        var replica = Replica(json.Out);
        Assert.Equal("healthy", replica.GetProperty("health").GetString());
        Assert.Equal(JsonValueKind.Null, replica.GetProperty("healthRecordedAt").ValueKind);
    }

    [Fact]
    public async Task Ps_shows_the_last_runs_verdict_too_plain_in_json()
    {
        cli.Write("nanokit.yml", Sick());

        var up = await cli.RunAsync("up", "--wait", "--timeout", "1m");
        var json = await cli.RunAsync("ps", "--format", "json");
        var table = await cli.RunAsync("ps");

        Assert.True(up.Exit == 1, up.Out + up.Error);
        using var document = JsonDocument.Parse(json.Out);
        Assert.Equal("unhealthy", document.RootElement[0].GetProperty("health").GetString());
        Assert.Matches(@"lastrun-sick-1\s+sick\s+running\s+unhealthy \(last run, \d+s ago\)", table.Out);
    }

    [Fact]
    public async Task Status_shows_the_last_runs_verdict_of_a_replica_that_exited_since_and_is_not_probed()
    {
        cli.Write("nanokit.yml", Sick());
        var up = await cli.RunAsync("up", "--wait", "--timeout", "1m");
        Assert.True(up.Exit == 1, up.Out + up.Error);

        RealProcesses.KillAll($"^sleep {marker}1$");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        var table = await cli.RunAsync("status");
        while (!table.Out.Contains("exited", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, "status did not see the replica exit within 60 s: " + table.Out);
            await Task.Delay(100);
            table = await cli.RunAsync("status");
        }

        Assert.Matches(@"sick\s+1\s+exited \(137\)\s+unhealthy \(last run, \d+s ago\)", table.Out);
        // The run converged; up --wait then found the replica unhealthy, so the command, and the record, failed.
        Assert.True(table.Out.Contains("last run: up, generation 1 failed", StringComparison.Ordinal), table.Out);
        Assert.Contains("\n  sick-1: unhealthy when up --wait checked it after the run", table.Out);
    }

    [Fact]
    public async Task A_restarted_replica_does_not_inherit_the_verdict_of_the_one_before()
    {
        cli.Write("nanokit.yml", Sick());
        var up = await cli.RunAsync("up", "--wait", "--timeout", "1m");
        Assert.True(up.Exit == 1, up.Out + up.Error);

        var restart = await cli.RunAsync("restart", "sick");
        var json = await cli.RunAsync("status", "--format", "json");

        Assert.True(restart.Exit == 0, restart.Out + restart.Error);
        var replica = Replica(json.Out);
        Assert.Equal("starting", replica.GetProperty("health").GetString());
        Assert.Equal(JsonValueKind.Null, replica.GetProperty("healthRecordedAt").ValueKind);
    }

    // retries: 2, so the one probe a new status process runs cannot reach a verdict of its own.
    private string Sick() => $$"""
        name: lastrun
        services:
          sick:
            command: [sleep, "{{marker}}1"]
            healthcheck: {test: [CMD, "false"], interval: 200ms, retries: 2}
        """;

    private static JsonElement Replica(string statusJson)
    {
        using var document = JsonDocument.Parse(statusJson);
        var replicas = document.RootElement.GetProperty("replicas");
        Assert.Equal(1, replicas.GetArrayLength());
        return replicas[0].Clone();
    }
}
