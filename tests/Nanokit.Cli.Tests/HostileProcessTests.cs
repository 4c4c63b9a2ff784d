using System.Diagnostics;

namespace Nanokit.Cli.Tests;

/// <summary>
/// Issue 9 on local processes, with the real nkapp as a child process: what a caller's pipe, SIGTERM and kill -9 do to
/// services and hooks.
/// </summary>
public sealed class HostileProcessTests : IDisposable
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(60);
    private readonly CliRun cli = new();
    private readonly string marker = Random.Shared.Next(10_000, 99_999).ToString();

    public void Dispose()
    {
        RealProcesses.KillAll($"sleep {marker}");
        cli.Dispose();
    }

    private static string Nkapp => Path.Combine(AppContext.BaseDirectory, "nkapp.dll");

    private string Sleep(int n) => $"{marker}{n}";

    /// <summary>nkapp started by a shell, output piped back to the test; <paramref name="shell"/> runs before it.</summary>
    private Process Start(string shell, params string[] args)
    {
        var start = new ProcessStartInfo("sh") { WorkingDirectory = cli.Directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-c", shell + "; exec dotnet \"$@\"", "sh", Nkapp }.Concat(args))
        {
            start.ArgumentList.Add(arg);
        }

        return Process.Start(start)!;
    }

    private static async Task UntilAsync(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < Within, $"timed out waiting until {what}");
            await Task.Delay(20);
        }
    }

    private string HookProject(string body) => $$"""
        name: hooked
        services:
          db:
            command: [sleep, "{{Sleep(1)}}"]
            hooks:
              prestart:
                command: [sh, -c, '{{body}}']
                timeout: 60s
        """;

    [Fact]
    public async Task Up_with_its_output_piped_ends_the_pipe_when_it_exits_and_the_service_holds_only_its_own_descriptors()
    {
        cli.Write("nanokit.yml", $"name: piped\nservices:\n  api:\n    command: [sleep, \"{Sleep(1)}\"]\n");
        using var deadline = new CancellationTokenSource(Within);

        // `exec 3>&1` is how scripts keep a handle on their output; nkapp inherits the pipe as fd 3 as well as fd 1.
        using var nkapp = Start("exec 3>&1", "up");
        var errors = nkapp.StandardError.ReadToEndAsync(deadline.Token);
        var output = await nkapp.StandardOutput.ReadToEndAsync(deadline.Token);
        await nkapp.WaitForExitAsync(deadline.Token);

        Assert.True(nkapp.ExitCode == 0, output + await errors);
        await UntilAsync(() => RealProcesses.Count("sleep", Sleep(1)) == 1, "the service runs");
        var service = Assert.Single(RealProcesses.Pids("sleep", Sleep(1)));
        var descriptors = Directory.GetFileSystemEntries($"/proc/{service}/fd").Select(Path.GetFileName).Order(StringComparer.Ordinal);
        Assert.Equal(["0", "1", "2"], descriptors);
        Assert.Equal("/dev/null", File.ResolveLinkTarget($"/proc/{service}/fd/0", false)!.FullName);
        // Its output is the FIFO to the log pump of its own process group (never nkapp's pipe), and the pump writes the log.
        var fifo = new FileInfo($"/proc/{service}/fd/1").LinkTarget;
        Assert.Equal(fifo, new FileInfo($"/proc/{service}/fd/2").LinkTarget);
        Assert.EndsWith("/api-1.exit.fifo (deleted)", fifo, StringComparison.Ordinal);
        var group = RealProcesses.Group(service);
        var pump = Assert.Single(RealProcesses.Pids("nanokit-log-pump"), p => RealProcesses.Group(p) == group);
        Assert.Equal(fifo, new FileInfo($"/proc/{pump}/fd/0").LinkTarget);
        Assert.EndsWith("/.nanokit/logs/piped/api-1.log", File.ResolveLinkTarget($"/proc/{pump}/fd/1", false)!.FullName, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Up_stopped_with_SIGTERM_during_a_prestart_hook_stops_the_hook_before_it_exits()
    {
        // The hook leaves a helper behind in its process group, out of its process tree (a subshell's background job).
        cli.Write("nanokit.yml", HookProject($"(sleep {Sleep(3)} &); exec sleep {Sleep(2)}"));
        using var deadline = new CancellationTokenSource(Within);
        using var nkapp = Start(":", "up");
        var output = nkapp.StandardOutput.ReadToEndAsync(deadline.Token);
        var errors = nkapp.StandardError.ReadToEndAsync(deadline.Token);
        await UntilAsync(() => RealProcesses.Count("sleep", Sleep(2)) == 1 && RealProcesses.Count("sleep", Sleep(3)) == 1, "the prestart hook runs");

        using (var term = Process.Start("kill", ["-TERM", nkapp.Id.ToString()]))
        {
            await term.WaitForExitAsync(deadline.Token);
        }

        await nkapp.WaitForExitAsync(deadline.Token);
        Assert.True(RealProcesses.Count("sleep", Sleep(2)) + RealProcesses.Count("sleep", Sleep(3)) == 0, "the hook outlived nkapp: " + await output + await errors);
        Assert.Equal(0, RealProcesses.Count("sleep", Sleep(1)));
        Assert.NotEqual(0, nkapp.ExitCode);
    }

    [Fact]
    public async Task Up_killed_during_a_prestart_hook_is_followed_by_an_up_that_never_runs_the_hook_alongside_the_leftover()
    {
        var running = Path.Combine(cli.Directory, "running");
        var runs = Path.Combine(cli.Directory, "runs");
        cli.Write("nanokit.yml", HookProject($"mkdir running || echo overlap >> overlaps; echo start >> runs; sleep 2; echo end >> runs; rmdir running"));
        using (var first = Start(":", "up"))
        {
            await UntilAsync(() => Directory.Exists(running), "the first prestart hook runs");
            first.Kill();
            await first.WaitForExitAsync();
        }

        var (exit, output, error) = await cli.RunAsync("up");

        Assert.True(exit == 0, output + error);
        Assert.False(File.Exists(Path.Combine(cli.Directory, "overlaps")), $"two copies of the hook ran at once, or one was stopped halfway (runs: {string.Join(' ', await File.ReadAllLinesAsync(runs))})\n{output}{error}");
        Assert.Equal(["start", "end", "start", "end"], await File.ReadAllLinesAsync(runs));
        await UntilAsync(() => RealProcesses.Count("sleep", Sleep(1)) == 1, "the service runs");
    }
}
