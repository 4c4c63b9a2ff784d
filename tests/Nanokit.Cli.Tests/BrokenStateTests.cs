namespace Nanokit.Cli.Tests;

/// <summary>State that cannot be used ends a command with one line naming the path and exit 1, never a stack trace.</summary>
public sealed class BrokenStateTests : IDisposable
{
    private readonly CliRun cli = new();
    private readonly string marker = Random.Shared.Next(10_000, 99_999).ToString();

    public void Dispose()
    {
        RealProcesses.KillAll($"sleep {marker}");
        cli.Dispose();
    }

    [Fact]
    public async Task A_lock_file_that_cannot_be_opened_is_one_line_naming_it_and_exit_1()
    {
        cli.Write("nanokit.yml", $"""
            name: broken
            services:
              web:
                command: [sleep, "{marker}"]
            """);
        Directory.CreateDirectory(Path.Combine(cli.Directory, ".nanokit", "lock"));

        foreach (var command in new[] { "up", "down", "drift" })
        {
            var result = await cli.RunAsync(command);

            // down first says it will go on without the state file, then fails at the lock all the same.
            Assert.Equal(1, result.Exit);
            Assert.Contains(Path.Combine(cli.Directory, ".nanokit", "lock"), result.Error.TrimEnd().Split('\n')[^1]);
            Assert.DoesNotContain("   at ", result.Error);
        }

        Assert.Equal(0, RealProcesses.Count("sleep", marker));
    }
}
