using System.Text.Json;

namespace Nanokit.Cli.Tests;

/// <summary>
/// <c>plan -out FILE</c> then <c>up FILE</c>, with real local processes: applied only while neither the file nor the
/// runtime moved; and <c>up</c> with nothing new, or <c>down</c> of a project already down, asks for no new generation.
/// </summary>
public sealed class SavedPlanTests : IDisposable
{
    private readonly CliRun cli = new();
    private readonly string marker = Random.Shared.Next(10_000, 99_999).ToString();

    public void Dispose()
    {
        RealProcesses.KillAll($"sleep {marker}");
        cli.Dispose();
    }

    private string Project(string version = "v1") => $"""
        name: saved
        services:
          db:
            command: [sleep, "{marker}1"]
          web:
            command: [sh, -c, "echo {version}; exec sleep {marker}2"]
            deploy: {"{"}replicas: 2{"}"}
            depends_on: [db]
        """;

    [Fact]
    public async Task Up_applies_a_saved_plan_when_neither_the_file_nor_the_runtime_moved()
    {
        cli.Write("nanokit.yml", Project());

        var plan = await cli.RunAsync("plan", "-out", "deploy.plan");
        var up = await cli.RunAsync("up", "deploy.plan");

        Assert.True(plan.Exit == 0, plan.Out + plan.Error);
        Assert.Contains("To apply exactly this plan: nkapp up deploy.plan", plan.Out);
        using var saved = JsonDocument.Parse(File.ReadAllText(Path.Combine(cli.Directory, "deploy.plan")));
        Assert.Equal("nanokit-plan/1", saved.RootElement.GetProperty("format").GetString());
        Assert.Equal(3, saved.RootElement.GetProperty("plan").GetProperty("summary").GetProperty("add").GetInt32());
        Assert.True(up.Exit == 0, up.Out + up.Error);
        Assert.Contains("saved: generation 1 converged", up.Out);
        await ExpectProcessesAsync(1, $"{marker}1");
        await ExpectProcessesAsync(2, $"{marker}2");
    }

    [Fact]
    public async Task A_saved_plan_is_refused_after_the_file_changes_naming_the_service_and_nothing_starts()
    {
        cli.Write("nanokit.yml", Project());
        Assert.Equal(0, (await cli.RunAsync("plan", "--out", "deploy.plan")).Exit);
        cli.Write("nanokit.yml", Project("v2"));

        var (exit, output, error) = await cli.RunAsync("up", "--plan", "deploy.plan");

        Assert.Equal(1, exit);
        Assert.Contains("refusing the saved plan deploy.plan: the configuration changed since it was made (service web changed)", error);
        Assert.DoesNotContain("db changed", error);
        Assert.DoesNotContain("generation", output);
        Assert.Equal(0, RealProcesses.Count("sleep", $"{marker}1"));
    }

    [Fact]
    public async Task A_saved_plan_is_refused_after_a_replica_is_killed_by_hand_naming_it()
    {
        cli.Write("nanokit.yml", Project());
        Assert.Equal(0, (await cli.RunAsync("up")).Exit);
        await ExpectProcessesAsync(2, $"{marker}2");
        Assert.Equal(0, (await cli.RunAsync("plan", "-out", "again.plan")).Exit);

        var victim = RealProcesses.Pids("sleep", $"{marker}2").Max();
        using (var kill = System.Diagnostics.Process.Start("kill", ["-9", victim.ToString()]))
        {
            kill.WaitForExit();
        }

        await ExpectProcessesAsync(1, $"{marker}2");

        // Its wrapper records the exit a moment after the process dies; until then the replica still counts as running.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!(await cli.RunAsync("ps", "-a")).Out.Contains("exited (137)", StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, "web never showed as exited");
            await Task.Delay(50);
        }

        var (exit, _, error) = await cli.RunAsync("up", "again.plan");

        Assert.Equal(1, exit);
        Assert.Matches(@"refusing the saved plan again\.plan: the runtime changed since it was made \(web\[[12]\] is now exited\(137\) \(was running\)\)", error);
        Assert.Equal(1, RealProcesses.Count("sleep", $"{marker}2"));
    }

    [Fact]
    public async Task A_saved_plan_refuses_other_inputs_and_a_file_that_is_no_plan_is_located()
    {
        cli.Write("nanokit.yml", Project());
        Assert.Equal(0, (await cli.RunAsync("plan", "-out", "deploy.plan")).Exit);
        cli.Write("broken.plan", "{\"format\": \"nanokit-plan/1\",\n  oops}");

        var withFile = await cli.RunAsync("up", "deploy.plan", "-f", "nanokit.yml");
        var broken = await cli.RunAsync("up", "broken.plan");

        Assert.Equal(1, withFile.Exit);
        Assert.Contains("a saved plan carries its own files, options and services; drop --file", withFile.Error);
        Assert.Equal(1, broken.Exit);
        Assert.Contains("broken.plan:2:", broken.Error);
        Assert.Contains("not a nanokit plan file", broken.Error);
    }

    [Fact]
    public async Task An_up_with_nothing_new_keeps_the_generation_and_still_restarts_what_was_killed()
    {
        cli.Write("nanokit.yml", Project());
        Assert.Equal(0, (await cli.RunAsync("up")).Exit);
        await ExpectProcessesAsync(1, $"{marker}1");

        var again = await cli.RunAsync("up");
        RealProcesses.KillAll($"^sleep {marker}1$");
        await ExpectProcessesAsync(0, $"{marker}1");
        await UntilExitRecordedAsync();
        var healed = await cli.RunAsync("up");
        var state = JsonDocument.Parse((await cli.RunAsync("state", "export")).Out);

        Assert.True(again.Exit == 0, again.Out + again.Error);
        Assert.Contains("saved: generation 1 (unchanged, checked again): no changes", again.Out);
        Assert.True(healed.Exit == 0, healed.Out + healed.Error);
        Assert.Contains("saved: generation 1 (unchanged, checked again)", healed.Out);
        Assert.True(healed.Out.Contains("start db[1]", StringComparison.Ordinal), healed.Out + healed.Error);
        await ExpectProcessesAsync(1, $"{marker}1");
        Assert.Equal(1, state.RootElement.GetProperty("generation").GetInt64());
    }

    [Fact]
    public async Task A_down_of_a_project_already_down_keeps_the_generation_and_says_there_is_nothing_to_remove()
    {
        cli.Write("nanokit.yml", Project());
        Assert.Equal(0, (await cli.RunAsync("up")).Exit);
        var down = await cli.RunAsync("down");
        await ExpectProcessesAsync(0, $"{marker}1");

        var again = await cli.RunAsync("down");
        var state = JsonDocument.Parse((await cli.RunAsync("state", "export")).Out);

        Assert.True(down.Exit == 0, down.Out + down.Error);
        Assert.Contains("saved: generation 2 (apply): 0 to add, 0 to change, 3 to destroy", down.Out);
        Assert.True(again.Exit == 0, again.Out + again.Error);
        Assert.Equal("saved: nothing to remove", again.Out.Trim());
        Assert.Equal(2, state.RootElement.GetProperty("generation").GetInt64());
    }

    // The replica's wrapper outlives the killed command by a moment (it records the exit code): until it is gone
    // the runtime rightly still reports the replica running.
    private async Task UntilExitRecordedAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (JsonDocument.Parse((await cli.RunAsync("status", "--format", "json")).Out).RootElement.GetProperty("replicas")
            .EnumerateArray().Any(r => r.GetProperty("service").GetString() == "db" && r.GetProperty("state").GetString() == "running"))
        {
            Assert.True(DateTime.UtcNow < deadline, "the killed replica was still reported running after 60 s");
            await Task.Delay(50);
        }
    }

    private static async Task ExpectProcessesAsync(int count, string arg)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (RealProcesses.Count("sleep", arg) != count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{count} processes running sleep {arg}: not met within 60 s");
            await Task.Delay(50);
        }
    }
}
