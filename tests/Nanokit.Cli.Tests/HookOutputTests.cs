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

    [Fact]
    public async Task A_failed_one_off_shows_the_tail_of_its_output_under_its_service_and_in_the_failure_with_secrets_masked()
    {
        cli.Write("nanokit.yml", $"""
            name: oneoff
            services:
              migrate:
                command: [sh, -c, "echo applying 1 of 2 with $$DB_PASSWORD; echo 'relation users already exists' >&2; exit 3"]
                environment: {"{"}DB_PASSWORD: hunter2{"}"}
              web:
                command: [sleep, "{marker}"]
                depends_on: {"{"}migrate: {"{"}condition: service_completed_successfully{"}"}{"}"}
            """);

        var up = await cli.RunAsync("up");

        Assert.Equal(1, up.Exit);
        Assert.Matches(@"\] migrate +waiting +\| applying 1 of 2 with \*\*\*\*\*\*\n", up.Out);
        Assert.Matches(@"\] migrate +waiting +\| relation users already exists\n", up.Out);
        Assert.Contains("migrate: replica 1 exited with code 3 (relation users already exists); dependents need service_completed_successfully", up.Out);
        Assert.DoesNotContain("hunter2", up.Out);
    }
}
