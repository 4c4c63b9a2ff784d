using System.Collections.Immutable;
using System.Diagnostics;
using Nanokit.Core.Model;
using Nanokit.Runtime;

namespace Nanokit.Providers.Local;

/// <summary>
/// A command of the user's run in the foreground with a replica's environment and working directory (<c>nkapp exec</c>,
/// <c>nkapp run</c>): its output copied byte for byte to the caller's streams as it comes (the pipes' base streams,
/// never their text readers, which would replace bytes that are not UTF-8), its input from the caller's stream when
/// given (else closed at once). No pseudo-terminal is allocated. It is not a replica: nothing records it, and
/// cancelling (Ctrl-C in nkapp) kills its whole process tree.
/// </summary>
internal static class ForegroundCommand
{
    public static async Task<int> RunAsync(
        ProjectRef project, string service, int? replica, ImmutableArray<string> commandLine, string workingDirectory, IReadOnlyDictionary<string, string> environment,
        CommandStreams streams, CancellationToken cancellationToken)
    {
        if (commandLine.IsDefaultOrEmpty)
        {
            throw new RuntimeException("local", project.Name, service, replica, "no command to run");
        }

        if (!Directory.Exists(workingDirectory))
        {
            throw new RuntimeException("local", project.Name, service, replica, $"working directory '{workingDirectory}' does not exist");
        }

        var executable = ProcessEnvironment.ResolveExecutable(commandLine[0], workingDirectory, environment)
            ?? throw new RuntimeException("local", project.Name, service, replica, $"command '{commandLine[0]}' not found in PATH");
        var start = new ProcessStartInfo(executable)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in commandLine.Skip(1))
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Clear();
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start) ?? throw new RuntimeException("local", project.Name, service, replica, $"could not start '{commandLine[0]}'");
        var output = CopyAsync(process.StandardOutput.BaseStream, streams.Output);
        var error = CopyAsync(process.StandardError.BaseStream, streams.Error);
        var input = FeedAsync(streams.Input, process.StandardInput, cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        // A child the command left in the background may keep its output open after it exited: the caller's
        // cancellation (Ctrl-C, a server call's end) still ends the wait.
        await Task.WhenAll(output, error).WaitAsync(cancellationToken).ConfigureAwait(false);
        _ = input;
        return process.ExitCode;
    }

    /// <summary>Flushed after each read: an interactive shell's prompt has no newline to wait for.</summary>
    private static async Task CopyAsync(Stream from, Stream to)
    {
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await from.ReadAsync(buffer).ConfigureAwait(false)) > 0)
        {
            await to.WriteAsync(buffer.AsMemory(0, read)).ConfigureAwait(false);
            await to.FlushAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Copies the caller's input until it ends or the command exits; the command sees end-of-file after it.</summary>
    private static async Task FeedAsync(Stream? from, StreamWriter to, CancellationToken cancellationToken)
    {
        try
        {
            if (from is not null)
            {
                await from.CopyToAsync(to.BaseStream, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The command exited (a closed pipe) or nkapp is stopping: its input has nothing more to give.
        }
        finally
        {
            try
            {
                to.Close();
            }
            catch (IOException)
            {
            }
        }
    }
}
