namespace Nanokit.Cli.Tests;

/// <summary>What nkapp answers to a command line it cannot take, and its commands that need no project.</summary>
public sealed class CommandLineTests : IDisposable
{
    private readonly CliRun cli = new();

    public void Dispose() => cli.Dispose();

    [Fact]
    public async Task An_unknown_command_gets_one_line_with_the_nearest_command()
    {
        var (exit, output, error) = await cli.RunAsync("stauts");

        Assert.Equal(1, exit);
        Assert.Equal("", output);
        Assert.Equal("nkapp: unknown command 'stauts' for 'nkapp'; did you mean status?; see 'nkapp --help'", error.TrimEnd());
    }

    [Fact]
    public async Task An_unknown_flag_gets_one_line_with_the_nearest_flag_of_that_command()
    {
        var (exit, output, error) = await cli.RunAsync("up", "--detatch");

        Assert.Equal(1, exit);
        Assert.Equal("", output);
        Assert.Equal("nkapp: unknown flag --detatch for 'nkapp up'; did you mean --detach?; see 'nkapp up --help'", error.TrimEnd());
    }

    [Theory]
    [InlineData("logs")]
    [InlineData("pull")]
    [InlineData("top")]
    public async Task A_command_given_a_service_the_project_lacks_names_it_and_exits_1(string command)
    {
        cli.Write("nanokit.yml", "name: named\nservices:\n  web:\n    command: [sleep, '1']\n");

        var (exit, output, error) = await cli.RunAsync(command, "web", "nosuch");

        Assert.Equal(1, exit);
        Assert.Equal("", output);
        Assert.Equal("no such service: nosuch", error.TrimEnd());
    }

    [Fact]
    public async Task A_flag_far_from_every_known_one_gets_no_suggestion()
    {
        var (exit, _, error) = await cli.RunAsync("validate", "--zzzzzzzz");

        Assert.Equal(1, exit);
        Assert.Equal("nkapp: unknown flag --zzzzzzzz for 'nkapp validate'; see 'nkapp validate --help'", error.TrimEnd());
    }

    [Theory]
    [InlineData("up", "--timeout", "5x")]
    [InlineData("up", "--timeout", "00:05")]
    public async Task A_duration_that_is_not_in_the_files_syntax_is_refused_in_words_not_type_names(params string[] args)
    {
        var (exit, _, error) = await cli.RunAsync(args);

        Assert.Equal(1, exit);
        Assert.Contains($"--timeout: '{args[^1]}' is not a duration (write it as in the file: 5s, 1m30s, 500ms)", error);
        Assert.DoesNotContain("System.", error);
        Assert.Single(error.TrimEnd().Split('\n'));
    }

    [Fact]
    public async Task A_duration_in_the_files_syntax_is_taken_and_the_command_goes_on_to_read_the_project()
    {
        var (exit, _, error) = await cli.RunAsync("up", "--timeout", "1m30s", "--file", "missing.yml");

        Assert.Equal(1, exit);
        Assert.DoesNotContain("duration", error);
        Assert.Contains("missing.yml", error);
    }

    [Theory]
    [InlineData("-3")]
    [InlineData("ten")]
    public async Task A_negative_or_non_numeric_tail_is_an_error(string tail)
    {
        var (exit, _, error) = await cli.RunAsync("logs", "--tail", tail);

        Assert.Equal(1, exit);
        Assert.Contains($"--tail: '{tail}' is not a count", error);
    }

    [Fact]
    public async Task Version_prints_nkapps_version_and_runtime()
    {
        var (exit, output, _) = await cli.RunAsync("version");

        Assert.Equal(0, exit);
        Assert.Matches(@"^nkapp version \d+\.\d+\.\d+\S* \(\.NET 10\.", output);
    }

    [Theory]
    [InlineData("bash", "complete -o default -F _nkapp_complete nkapp")]
    [InlineData("zsh", "compdef _nkapp nkapp")]
    [InlineData("fish", "complete -c nkapp")]
    public async Task Completion_prints_a_script_for_each_shell(string shell, string expected)
    {
        var (exit, output, _) = await cli.RunAsync("completion", shell);

        Assert.Equal(0, exit);
        Assert.Contains(expected, output);
        Assert.Contains("[suggest:", output);
    }

    [Fact]
    public async Task The_suggest_directive_the_completion_scripts_call_completes_commands()
    {
        var (exit, output, _) = await cli.RunAsync("[suggest:8]", "nkapp st");

        Assert.Equal(0, exit);
        // Options match too (System.CommandLine matches by substring, as "restart" shows): the root --store is among them.
        Assert.Equal(["start", "state", "status", "stop", "--store", "restart"], output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    [Fact]
    public async Task Completion_of_an_unknown_shell_names_the_ones_it_knows()
    {
        var (exit, _, error) = await cli.RunAsync("completion", "tcsh");

        Assert.Equal(1, exit);
        Assert.Contains("tcsh", error);
        Assert.Contains("bash", error);
    }
}
