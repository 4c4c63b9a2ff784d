namespace Nanokit.Cli.Tests;

/// <summary><c>exec</c> and <c>run</c> on the local runtime, with real processes, as Compose users type them.</summary>
public sealed class ForegroundCommandTests : IDisposable
{
    private readonly CliRun cli = new();
    private readonly string marker = Random.Shared.Next(10_000, 99_999).ToString();

    public void Dispose()
    {
        RealProcesses.KillAll($"sleep {marker}");
        cli.Dispose();
    }

    private string Project() => $"""
        name: fg
        services:
          web:
            command: [sleep, "{marker}"]
            environment: {"{"}GREETING: hello{"}"}
            deploy: {"{"}replicas: 2{"}"}
        """;

    [Fact]
    public async Task Exec_runs_in_the_chosen_replicas_environment_returns_its_exit_code_and_leaves_its_options_to_the_command()
    {
        cli.Write("nanokit.yml", Project());
        Assert.Equal(0, (await cli.RunAsync("up")).Exit);

        var (exit, output, error) = await cli.RunAsync("exec", "--index", "2", "web", "sh", "-c", "echo $GREETING from $NANOKIT_REPLICA $0 $1; echo oops >&2; exit 3", "-i", "x");
        var first = await cli.RunAsync("exec", "-t", "web", "sh", "-c", "echo $NANOKIT_REPLICA");

        Assert.True(exit == 3, output + error);
        Assert.Equal("hello from 2 -i x\n", output);
        Assert.Equal("oops\n", error);
        Assert.Equal((0, "1\n"), (first.Exit, first.Out));
    }

    [Fact]
    public async Task Exec_and_run_pass_the_commands_stdout_and_stderr_through_byte_for_byte_even_when_they_are_not_utf8()
    {
        cli.Write("nanokit.yml", Project());
        Assert.Equal(0, (await cli.RunAsync("up")).Exit);

        // -T as Compose users script it (no pseudo-terminal: nkapp never allocates one).
        var exec = await cli.RunBytesAsync(new Dictionary<string, string>(), "exec", "-T", "web", "sh", "-c", BinaryOutput.Script);
        var run = await cli.RunBytesAsync(new Dictionary<string, string>(), "run", "--rm", "--no-TTY", "web", "sh", "-c", BinaryOutput.Script);

        BinaryOutput.AssertPassedThrough(exec);
        BinaryOutput.AssertPassedThrough(run);
    }

    [Fact]
    public async Task Exec_in_a_stopped_or_missing_replica_says_so_in_one_line()
    {
        cli.Write("nanokit.yml", Project());
        Assert.Equal(0, (await cli.RunAsync("up")).Exit);
        Assert.Equal(0, (await cli.RunAsync("stop")).Exit);

        var stopped = await cli.RunAsync("exec", "web", "true");
        var third = await cli.RunAsync("exec", "--index", "3", "web", "true");

        Assert.Equal(1, stopped.Exit);
        Assert.Contains("not running (exited); start it with `nkapp start web`", stopped.Error);
        Assert.Equal(1, third.Exit);
        Assert.Contains("no replica 3: the service has 2 replicas", third.Error);
    }

    [Fact]
    public async Task Run_rm_runs_a_one_off_from_the_definition_and_leaves_no_replica_behind()
    {
        cli.Write("nanokit.yml", Project());

        var (exit, output, error) = await cli.RunAsync("run", "--rm", "web", "sh", "-c", "echo one-off says $GREETING; exit 4");
        var status = await cli.RunAsync("status");

        Assert.True(exit == 4, output + error);
        Assert.Equal("one-off says hello\n", output);
        Assert.Contains("fg: nothing deployed", status.Out);
        Assert.Equal(0, RealProcesses.Count("sleep", marker));
    }

    [Fact]
    public async Task Exec_and_run_on_docker_without_a_daemon_say_so_in_one_line_naming_the_socket()
    {
        cli.Write("nanokit.yml", "name: fg\nruntime: docker\nservices:\n  web:\n    image: nanokit-test/busybox:1\n");
        var environment = new Dictionary<string, string> { ["DOCKER_HOST"] = $"unix:///tmp/nanokit-no-daemon-{marker}.sock" };

        var exec = await cli.RunAsync(environment, "exec", "web", "true");
        var run = await cli.RunAsync(environment, "run", "--rm", "web", "true");

        Assert.Equal(1, exec.Exit);
        Assert.Contains($"nanokit-no-daemon-{marker}.sock", exec.Error);
        Assert.Single(exec.Error.Trim().Split('\n'));
        Assert.Equal(1, run.Exit);
        Assert.Contains($"nanokit-no-daemon-{marker}.sock", run.Error);
        Assert.Single(run.Error.Trim().Split('\n'));
    }
}
