using System.Diagnostics;

namespace Nanokit.Cli.Tests;

/// <summary>
/// <c>logs</c> colours each service's prefix on a terminal, as Compose does: nkapp as a real process on a pseudo-terminal
/// (util-linux <c>script</c>), and plain through a pipe, with <c>NO_COLOR</c> and with <c>--no-color</c>.
/// </summary>
public sealed class LogsColourTests : IDisposable
{
    private readonly CliRun cli = new();
    private readonly string marker = Random.Shared.Next(10_000, 99_999).ToString(System.Globalization.CultureInfo.InvariantCulture);

    public void Dispose()
    {
        RealProcesses.KillAll($"sleep {marker}");
        cli.Dispose();
    }

    [Fact]
    public async Task Logs_on_a_terminal_colour_each_service_prefix_and_never_through_a_pipe_or_with_NO_COLOR_or_no_color()
    {
        cli.Write("nanokit.yml", $"""
            name: colours
            services:
              api:
                command: [sh, -c, "echo hello from api; exec sleep {marker}"]
              web:
                command: [sh, -c, "echo hello from web; exec sleep {marker}"]
            """);
        try
        {
            var up = await cli.RunAsync("up");
            Assert.True(up.Exit == 0, up.Out + up.Error);

            var terminal = await RunAsync("script -qec 'dotnet \"$NKAPP\" logs' /dev/null");
            var piped = await RunAsync("dotnet \"$NKAPP\" logs | cat");
            var noColour = await RunAsync("NO_COLOR=1 script -qec 'dotnet \"$NKAPP\" logs' /dev/null");
            var flag = await RunAsync("script -qec 'dotnet \"$NKAPP\" logs --no-color' /dev/null");

            Assert.Contains("\u001b[36mapi-1 |\u001b[0m hello from api", terminal, StringComparison.Ordinal);
            Assert.Contains("\u001b[33mweb-1 |\u001b[0m hello from web", terminal, StringComparison.Ordinal);
            foreach (var plain in new[] { piped, noColour, flag })
            {
                Assert.Contains("api-1 | hello from api", plain, StringComparison.Ordinal);
                Assert.Contains("web-1 | hello from web", plain, StringComparison.Ordinal);
                // .NET sets the terminal's keypad mode (ESC [?1h) on a tty; what must not be there is a colour (SGR) sequence.
                Assert.DoesNotMatch(@"\u001b\[[0-9;]*m", plain);
            }
        }
        finally
        {
            await cli.RunAsync("down", "-t", "1s");
        }
    }

    private async Task<string> RunAsync(string shell)
    {
        var start = new ProcessStartInfo("sh", ["-c", shell]) { WorkingDirectory = cli.Directory, RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["NKAPP"] = Path.Combine(AppContext.BaseDirectory, "nkapp.dll");
        start.Environment.Remove("NO_COLOR");
        using var process = Process.Start(start)!;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var error = process.StandardError.ReadToEndAsync(deadline.Token);
        var output = await process.StandardOutput.ReadToEndAsync(deadline.Token);
        await process.WaitForExitAsync(deadline.Token);
        Assert.True(process.ExitCode == 0, $"{shell}: exit {process.ExitCode}\n{output}{await error}");
        return output;
    }
}
