using System.Diagnostics;
using System.Globalization;
using Xunit.Abstractions;

namespace Nanokit.Cli.Tests;

/// <summary>
/// Runs every case of <c>tests/hostile</c> (copied beside the tests at build time) against the real nkapp
/// process, under GNU time: the exit code and message must match, no output may hold a string the case lists
/// as absent, and the wall time and peak resident memory must stay within the case's bounds.
/// </summary>
public sealed class HostileCorpusTests(ITestOutputHelper output)
{
    private const string Time = "/usr/bin/time";

    private static readonly string Corpus = Path.Combine(AppContext.BaseDirectory, "hostile");

    public static TheoryData<string> Cases() => [.. Directory.EnumerateDirectories(Corpus).Select(d => Path.GetFileName(d)).Order(StringComparer.Ordinal)];

    [Fact]
    public void The_corpus_holds_the_cases_of_issue_9_and_every_case_file_reads()
    {
        var cases = Directory.EnumerateDirectories(Corpus).Select(HostileCase.Read).ToArray();

        Assert.True(cases.Length >= 30, $"only {cases.Length} cases in {Corpus}");
        Assert.True(File.Exists(Time), $"{Time} (GNU time, Debian package \"time\") is needed to measure peak memory; scripts/provision.sh installs it");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_hostile_input_gets_its_exit_code_and_message_within_its_time_and_memory(string name)
    {
        var @case = HostileCase.Read(Path.Combine(Corpus, name));
        var scratch = Directory.CreateTempSubdirectory($"nk-hostile-{name}-").FullName;
        try
        {
            CopyInputs(@case.Directory, scratch);
            if (File.Exists(Path.Combine(scratch, "setup.sh")))
            {
                var setup = await RunAsync(scratch, TimeSpan.FromMinutes(2), "bash", "setup.sh");
                Assert.True(setup.Exit == 0, $"{name}: setup.sh exited {setup.Exit}: {setup.Error}");
            }

            var measured = Path.Combine(scratch, ".time");
            var started = Stopwatch.StartNew();
            var run = await RunAsync(scratch, @case.MaxTime, [Time, "-f", "%M", "-o", measured, "dotnet", Path.Combine(AppContext.BaseDirectory, "nkapp.dll"), .. @case.Args]);
            var elapsed = started.Elapsed;

            var what = $"{name}: nkapp {string.Join(' ', @case.Args)}\nexit {run.Exit}\nstdout:\n{run.Out}\nstderr:\n{run.Error}";
            Assert.False(run.TimedOut, $"{what}\nstill running after {@case.MaxTime.TotalSeconds} s (killed)");
            Assert.True(run.Exit == @case.Exit, $"{what}\nexpected exit {@case.Exit}");
            foreach (var pattern in @case.Stderr)
            {
                Assert.True(pattern.IsMatch(run.Error), $"{what}\nstderr does not match /{pattern}/");
            }

            foreach (var pattern in @case.Stdout)
            {
                Assert.True(pattern.IsMatch(run.Out), $"{what}\nstdout does not match /{pattern}/");
            }
            foreach (var absent in @case.Absent)
            {
                Assert.False(run.Out.Contains(absent, StringComparison.Ordinal) || run.Error.Contains(absent, StringComparison.Ordinal), $"{what}\nprints \"{absent}\"");
            }

            var peakKiB = long.Parse(File.ReadLines(measured).Last(), CultureInfo.InvariantCulture);
            output.WriteLine($"{name}: {elapsed.TotalSeconds:F2} s, {peakKiB / 1024} MiB peak resident");
            Assert.True(peakKiB <= @case.MaxMemoryKiB, $"{what}\npeak resident memory {peakKiB / 1024} MiB, more than the {@case.MaxMemoryKiB / 1024} MiB bound");
            Assert.True(elapsed <= @case.MaxTime, $"{what}\ntook {elapsed.TotalSeconds:F1} s, more than the {@case.MaxTime.TotalSeconds} s bound");
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    // The case file describes the case; everything else is input, setup.sh included.
    private static void CopyInputs(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(from, file);
            if (relative == "case")
            {
                continue;
            }

            var target = Path.Combine(to, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    private static async Task<(int Exit, string Out, string Error, bool TimedOut)> RunAsync(string directory, TimeSpan limit, params string[] argv)
    {
        var start = new ProcessStartInfo(argv[0]) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var arg in argv[1..])
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            return (process.ExitCode, await output, await error, true);
        }

        return (process.ExitCode, await output, await error, false);
    }
}
