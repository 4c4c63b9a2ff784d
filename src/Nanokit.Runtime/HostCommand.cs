using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace Nanokit.Runtime;

/// <summary>How a short-lived command (hook or exec health probe) ended.</summary>
internal sealed record CommandOutcome(int ExitCode, string OutputTail, bool TimedOut, TimeSpan Duration);

/// <summary>
/// Runs a short-lived command on the host with a timeout, keeping the tail of its combined output: local
/// hooks and exec health probes, and every provider's <c>run_on: host</c> hooks. The command gets exactly
/// <paramref name="environment"/>, nothing inherited. On timeout or cancellation the whole process tree is
/// killed, so a hook that forks cannot linger.
/// </summary>
internal static class HostCommand
{
    public static async Task<CommandOutcome> RunAsync(
        IReadOnlyList<string> commandLine, string workingDirectory, IReadOnlyDictionary<string, string> environment,
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

        start.Environment.Clear();
        foreach (var (name, value) in environment.Where(e => EnvironmentNames.IsValid(e.Key)))
        {
            start.Environment[name] = value;
        }

        var clock = Stopwatch.StartNew();
        using var process = new Process { StartInfo = start };
        try
        {
            InheritedDescriptors.MarkCloseOnExec();
            process.Start();
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException($"cannot run '{commandLine[0]}': {e.Message}", e);
        }

        process.StandardInput.Close();
        var tail = new Tail(tailChars);
        var readers = Task.WhenAll(
            PumpAsync(process.StandardOutput.BaseStream, tail),
            PumpAsync(process.StandardError.BaseStream, tail));

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
        return new CommandOutcome(process.ExitCode, tail.ToString(), timedOut, clock.Elapsed);
    }

    private static async Task PumpAsync(Stream stream, Tail tail)
    {
        var decoder = Encoding.UTF8.GetDecoder();
        var bytes = new byte[4096];
        var chars = new char[Encoding.UTF8.GetMaxCharCount(bytes.Length)];
        int read;
        while ((read = await stream.ReadAsync(bytes).ConfigureAwait(false)) > 0)
        {
            var count = decoder.GetChars(bytes, 0, read, chars, 0);
            tail.Append(chars.AsSpan(0, count));
        }
    }

    /// <summary>The last N characters of everything appended; stdout and stderr interleave by arrival.</summary>
    private sealed class Tail(int limit)
    {
        private readonly StringBuilder _buffer = new();
        private readonly Lock _gate = new();

        public void Append(ReadOnlySpan<char> text)
        {
            lock (_gate)
            {
                _buffer.Append(text);
                if (_buffer.Length > limit * 2)
                {
                    _buffer.Remove(0, _buffer.Length - limit);
                }
            }
        }

        public override string ToString()
        {
            lock (_gate)
            {
                return _buffer.Length > limit ? _buffer.ToString(_buffer.Length - limit, limit) : _buffer.ToString();
            }
        }
    }
}
