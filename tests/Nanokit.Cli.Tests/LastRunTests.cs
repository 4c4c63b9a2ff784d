using System.Text.Json;

namespace Nanokit.Cli.Tests;

/// <summary>
/// What <c>status</c> says about the last run, and <c>down</c> after a failed <c>up</c>, against real local processes:
/// status shows a failed run's failures (service and reason) whether or not anything is left to probe, and down removes
/// every replica the project has, those of the failed generation included, without running that generation again first.
/// </summary>
public sealed class LastRunTests : IDisposable
{
    private readonly CliRun cli = new();
    private readonly string marker = Random.Shared.Next(10_000, 99_999).ToString();

    public void Dispose()
    {
        RealProcesses.KillAll($"sleep {marker}");
        cli.Dispose();
    }

    private string Sleep(int n) => $"{marker}{n}";

    [Fact]
    public async Task Status_after_a_failed_up_with_nothing_deployed_names_each_failed_service_and_why()
    {
        cli.Write("nanokit.yml", $"name: lastrun\nservices:\n  broken:\n    command: [no-such-program-{marker}]\n  after:\n    command: [sleep, '{Sleep(1)}']\n    depends_on: [broken]\n");
        var up = await cli.RunAsync("up");
        Assert.True(up.Exit == 1, up.Out + up.Error);

        var table = await cli.RunAsync("status");
        var json = await cli.RunAsync("status", "--format", "json");

        Assert.True(table.Exit == 0, table.Out + table.Error);
        Assert.Contains("lastrun: nothing deployed", table.Out);
        Assert.Matches(@"last run: up, generation 1 failed \d+s ago", table.Out);
        Assert.Matches($"\n  broken: .*no-such-program-{marker}", table.Out);
        Assert.Contains("\n  after: blocked: dependency broken failed", table.Out);
        using var document = JsonDocument.Parse(json.Out);
        var lastRun = document.RootElement.GetProperty("lastRun");
        Assert.False(lastRun.GetProperty("succeeded").GetBoolean());
        Assert.Equal(1, lastRun.GetProperty("generation").GetInt64());
        Assert.Equal(["after", "broken"], lastRun.GetProperty("failures").EnumerateArray().Select(f => f.GetProperty("service").GetString()).Order());
    }

    [Fact]
    public async Task Status_says_the_last_run_converged_and_then_that_the_next_one_failed_while_the_old_replicas_run()
    {
        cli.Write("nanokit.yml", $"name: lastrun\nservices:\n  web:\n    command: [sleep, '{Sleep(2)}']\n");
        Assert.Equal(0, (await cli.RunAsync("up")).Exit);

        var converged = await cli.RunAsync("status");

        Assert.Matches(@"web\s+1\s+running", converged.Out);
        Assert.Matches(@"last run: up, generation 1 converged \d+s ago", converged.Out);
        Assert.DoesNotContain("failed", converged.Out);

        cli.Write("nanokit.yml", $"name: lastrun\nservices:\n  web:\n    command: [sleep, '{Sleep(2)}']\n  broken:\n    command: [no-such-program-{marker}]\n");
        Assert.Equal(1, (await cli.RunAsync("up")).Exit);

        var failed = await cli.RunAsync("status");

        Assert.Matches(@"web\s+1\s+running", failed.Out);
        Assert.Matches(@"last run: up, generation 2 failed \d+s ago", failed.Out);
        Assert.Matches($"\n  broken: .*no-such-program-{marker}", failed.Out);
        Assert.DoesNotContain("generation 1", failed.Out);
    }

    [Fact]
    public async Task Status_names_the_command_of_the_last_run()
    {
        cli.Write("nanokit.yml", $"name: lastrun\nservices:\n  web:\n    command: [sleep, '{Sleep(3)}']\n");
        Assert.Equal(0, (await cli.RunAsync("up")).Exit);
        Assert.Equal(0, (await cli.RunAsync("stop", "web")).Exit);

        var status = await cli.RunAsync("status");

        Assert.Matches(@"last run: stop, generation 2 converged \d+s ago", status.Out);
    }

    [Fact]
    public async Task Down_after_a_failed_up_removes_every_replica_without_running_the_failed_generation_again()
    {
        // Generation 1 converges; generation 2 recreates web (new command) and fails on broken's prestart hook, whose attempts are counted.
        cli.Write("nanokit.yml", $"""
            name: downfail
            services:
              db:
                command: [sleep, "{Sleep(4)}"]
              web:
                command: [sleep, "{Sleep(5)}"]
                deploy: {"{"}replicas: 2{"}"}
                depends_on: [db]
            """);
        Assert.Equal(0, (await cli.RunAsync("up")).Exit);
        cli.Write("nanokit.yml", $"""
            name: downfail
            services:
              db:
                command: [sleep, "{Sleep(4)}"]
              web:
                command: [sleep, "{Sleep(6)}"]
                deploy: {"{"}replicas: 2{"}"}
                depends_on: [db]
              broken:
                command: [sleep, "{Sleep(7)}"]
                hooks: {"{"}prestart: [sh, -c, "echo attempt >> {Path.Combine(cli.Directory, "attempts")}; exit 3"]{"}"}
                depends_on: [web]
            """);
        var up = await cli.RunAsync("up");
        Assert.True(up.Exit == 1, up.Out + up.Error);
        Assert.Contains("downfail: generation 2 failed", up.Out);
        await ExpectProcessesAsync(1, Sleep(4));
        await ExpectProcessesAsync(2, Sleep(6));
        var attempts = File.ReadAllLines(Path.Combine(cli.Directory, "attempts")).Length;

        var down = await cli.RunAsync("down");

        Assert.True(down.Exit == 0, down.Out + down.Error);
        Assert.DoesNotContain("resuming", down.Out);
        Assert.Matches(@"downfail: generation 3 \(apply\): 0 to add, 0 to change, \d to destroy", down.Out);
        Assert.Equal(attempts, File.ReadAllLines(Path.Combine(cli.Directory, "attempts")).Length);
        await ExpectProcessesAsync(0, Sleep(4));
        await ExpectProcessesAsync(0, Sleep(5));
        await ExpectProcessesAsync(0, Sleep(6));
        var status = await cli.RunAsync("status");
        Assert.Contains("downfail: nothing deployed", status.Out);
        Assert.Matches(@"last run: down, generation 3 converged", status.Out);
        Assert.Empty(JsonDocument.Parse((await cli.RunAsync("ps", "-a", "--format", "json")).Out).RootElement.EnumerateArray());
    }

    /// <summary>Waits until exactly <paramref name="count"/> processes run <c>sleep ARG</c> (a replica's command starts a moment after its record).</summary>
    private static async Task ExpectProcessesAsync(int count, string arg)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (RealProcesses.Count("sleep", arg) != count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{count} processes running sleep {arg}: not met within 60 s (now {RealProcesses.Count("sleep", arg)})");
            await Task.Delay(50);
        }
    }
}
