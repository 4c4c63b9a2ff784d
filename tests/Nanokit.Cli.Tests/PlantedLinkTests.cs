namespace Nanokit.Cli.Tests;

/// <summary>A checkout whose <c>.nanokit</c> holds symbolic links: nkapp refuses it before touching anything.</summary>
public sealed class PlantedLinkTests : IDisposable
{
    private readonly CliRun cli = new();
    private readonly string outside = Directory.CreateTempSubdirectory("nkapp-outside-").FullName;
    private readonly string marker = Random.Shared.Next(10_000, 99_999).ToString();

    public void Dispose()
    {
        RealProcesses.KillAll($"sleep {marker}");
        Directory.Delete(outside, recursive: true);
        cli.Dispose();
    }

    private void WriteProject() => cli.Write("nanokit.yml", $"""
        name: planted
        services:
          web:
            command: [sleep, "{marker}"]
        """);

    [Fact]
    public async Task Up_refuses_a_state_directory_that_links_outside_the_project_and_starts_nothing()
    {
        WriteProject();
        File.SetUnixFileMode(outside, (UnixFileMode)0b111_101_101);
        File.CreateSymbolicLink(Path.Combine(cli.Directory, ".nanokit"), outside);

        var up = await cli.RunAsync("up");

        Assert.Equal(1, up.Exit);
        Assert.Contains(".nanokit is a symbolic link", up.Error);
        Assert.DoesNotContain("   at ", up.Error);
        Assert.Equal((UnixFileMode)0b111_101_101, File.GetUnixFileMode(outside));
        Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
        Assert.Equal(0, RealProcesses.Count("sleep", marker));
    }

    [Fact]
    public async Task Up_refuses_a_link_planted_inside_the_state_directory_and_leaves_its_target_unchanged()
    {
        WriteProject();
        var target = Path.Combine(outside, "victim");
        File.WriteAllText(target, "precious\n");
        Directory.CreateDirectory(Path.Combine(cli.Directory, ".nanokit"));
        File.CreateSymbolicLink(Path.Combine(cli.Directory, ".nanokit", "lock.holder"), target);

        var up = await cli.RunAsync("up");

        Assert.Equal(1, up.Exit);
        Assert.Contains("lock.holder is a symbolic link", up.Error);
        Assert.Equal("precious\n", File.ReadAllText(target));
        Assert.Equal(0, RealProcesses.Count("sleep", marker));
    }

    [Fact]
    public async Task Logs_will_not_print_a_file_that_a_planted_link_points_at()
    {
        WriteProject();
        var secret = Path.Combine(outside, "credentials");
        File.WriteAllText(secret, "aws_secret_access_key=hunter2\n");
        var logs = Directory.CreateDirectory(Path.Combine(cli.Directory, ".nanokit", "logs", "planted")).FullName;
        File.CreateSymbolicLink(Path.Combine(logs, "web-1.log"), secret);

        var result = await cli.RunAsync("logs", "web", "--tail", "5");

        Assert.Equal(1, result.Exit);
        Assert.Contains("web-1.log is a symbolic link", result.Error);
        Assert.DoesNotContain("hunter2", result.Out + result.Error);
    }
}
