using System.Diagnostics;

namespace Nanokit.Persistence.Tests.Support;

/// <summary>Runs repository scripts and finds repository files from the test binaries.</summary>
public static class ScriptRunner
{
    public static string RepositoryRoot { get; } = FindRoot();

    public static async Task<string> RunAsync(string script, string arguments, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("bash", $"{Path.Combine(RepositoryRoot, script)} {arguments}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepositoryRoot,
        };
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{script} {arguments} exited with {process.ExitCode}: {await stderr}");
        }

        return (await stdout).Trim();
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Nanokit.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no Nanokit.sln above {AppContext.BaseDirectory}");
    }
}
