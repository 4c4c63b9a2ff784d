namespace Nanokit.Cli.Tests;

/// <summary>A hook's output under its service in <c>up</c> (secrets masked), and kept for <c>logs</c>, with real processes.</summary>
public sealed class HookOutputTests : IDisposable
{
    private readonly CliRun cli = new();
    private readonly string marker = Random.Shared.Next(10_000, 99_999).ToString();

    public void Dispose()
    {
        RealProcesses.KillAll($"sleep {marker}");
        cli.Dispose();
    }

    [Fact]
    public async Task Hook_output_is_shown_under_its_service_with_secrets_masked_and_kept_in_logs()
    {
        cli.Write("nanokit.yml", $"""
            name: hooked
            services:
              db:
                command: [sleep, "{marker}"]
                environment: {"{"}DB_PASSWORD: hunter2{"}"}
                hooks:
                  prestart: [sh, -c, "echo migrating with $$DB_PASSWORD; echo 2 migrations applied"]
                  poststart: [sh, -c, "echo seeded >&2"]
            """);

        var up = await cli.RunAsync("up");
        var logs = await cli.RunAsync("logs");

        Assert.True(up.Exit == 0, up.Out + up.Error);
        Assert.Matches(@"\] db +prestart +\| migrating with \*\*\*\*\*\*\n", up.Out);
        Assert.Matches(@"\] db +prestart +\| 2 migrations applied\n", up.Out);
        Assert.Matches(@"\] db +poststart +\| seeded\n", up.Out);
        Assert.DoesNotContain("hunter2", up.Out);
        Assert.True(up.Out.IndexOf("| 2 migrations applied", StringComparison.Ordinal) < up.Out.IndexOf("db       applying", StringComparison.Ordinal), up.Out);
        Assert.True(logs.Exit == 0, logs.Error);
        Assert.Contains("db-prestart  | 2 migrations applied", logs.Out);
        Assert.Contains("db-poststart | seeded", logs.Out);
    }
}
