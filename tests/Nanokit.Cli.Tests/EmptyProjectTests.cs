namespace Nanokit.Cli.Tests;

/// <summary>
/// A file emptied by a crash or a wrong edit must not make nkapp tear down what runs: up refuses it and leaves
/// the replicas alone; down refuses an empty file (as Compose does) and removes everything once the file says
/// which project it is and holds no services.
/// </summary>
public sealed class EmptyProjectTests : IDisposable
{
    private readonly CliRun cli = new();
    private readonly string marker = Random.Shared.Next(10_000, 99_999).ToString();

    public void Dispose()
    {
        RealProcesses.KillAll($"sleep {marker}");
        cli.Dispose();
    }

    [Fact]
    public async Task Up_on_an_emptied_file_fails_and_leaves_what_runs_alone_and_down_removes_it_once_the_file_names_no_services()
    {
        var file = cli.Write("nanokit.yml", $"name: emptied\nservices:\n  web:\n    command: [sleep, \"{marker}\"]\n");
        var first = await cli.RunAsync("up");
        Assert.True(first.Exit == 0, first.Out + first.Error);
        await ExpectProcessesAsync(1);

        cli.Write("nanokit.yml", "# the write was cut short here\n");
        var up = await cli.RunAsync("up");
        var down = await cli.RunAsync("down");

        Assert.Equal((1, $"{file}:1:1: the file is empty (nothing but comments or null); a configuration needs a services: section\n1 error\n"), (up.Exit, up.Error));
        Assert.Equal((1, up.Error), (down.Exit, down.Error));
        await ExpectProcessesAsync(1);

        cli.Write("nanokit.yml", "name: emptied\nservices: {}\n");
        var validate = await cli.RunAsync("validate");
        var emptied = await cli.RunAsync("down");

        Assert.Equal(1, validate.Exit);
        Assert.StartsWith($"{file}:2:11: services: is empty", validate.Error);
        Assert.True(emptied.Exit == 0, emptied.Out + emptied.Error);
        await ExpectProcessesAsync(0);
    }

    /// <summary>A replica's command starts a moment after nkapp records it, so the count is awaited, not read once.</summary>
    private async Task ExpectProcessesAsync(int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (RealProcesses.Count("sleep", marker) != count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{count} processes running sleep {marker}: not met within 10 s");
            await Task.Delay(50);
        }
    }
}
