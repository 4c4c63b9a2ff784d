using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace Nanokit.Providers.Docker;

/// <summary>
/// Runs a <c>run_on: host</c> hook on this machine with a timeout, keeping the tail of its combined output.
/// On timeout the whole process tree is killed so a hook that forks cannot linger.
/// </summary>
internal static class HostCommand
{
    public static async Task<(int ExitCode, string Output, bool TimedOut)> RunAsync(
        IReadOnlyList<string> commandLine, string workingDirectory, IEnumerable<KeyValuePair<string, string>> environment,
        TimeSpan timeout, int tailChars, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(commandLine[0])
        {
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in commandLine.Skip(1))
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException($"cannot run hook '{commandLine[0]}' on the host: {e.Message}", e);
        }

        process.StandardInput.Close();
        var output = new StringBuilder();
        var gate = new Lock();
        var readers = Task.WhenAll(Pump(process.StandardOutput), Pump(process.StandardError));

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var timedOut = false;
        try
        {
            await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            timedOut = true;
        }

        // A grandchild that escaped the tree kill could hold the pipes open; do not wait for it forever.
        await Task.WhenAny(readers, Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None)).ConfigureAwait(false);
        lock (gate)
        {
            var text = output.ToString();
            return (process.ExitCode, text.Length > tailChars ? text[^tailChars..] : text, timedOut);
        }

        async Task Pump(StreamReader reader)
        {
            var buffer = new char[4096];
            int read;
            while ((read = await reader.ReadAsync(buffer).ConfigureAwait(false)) > 0)
            {
                lock (gate)
                {
                    output.Append(buffer, 0, read);
                    if (output.Length > tailChars * 2)
                    {
                        output.Remove(0, output.Length - tailChars);
                    }
                }
            }
        }
    }
}
