using System.Diagnostics;

namespace Nanokit.TestSupport;

public static class ChildProcess
{
    /// <summary>
    /// Runs <paramref name="start"/> to its end and returns its exit code, output and errors; both streams are read as
    /// they come, so a full pipe never stalls it. The caller says what a failure means.
    /// </summary>
    public static async Task<(int Exit, string Output, string Error)> RunAsync(ProcessStartInfo start, CancellationToken cancellationToken = default)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var error = process.StandardError.ReadToEndAsync(CancellationToken.None);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        return (process.ExitCode, await output.ConfigureAwait(false), await error.ConfigureAwait(false));
    }
}
