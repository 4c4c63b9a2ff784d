using System.Diagnostics;
using System.Text;

namespace Nanokit.TestSupport;

/// <summary>
/// nkapp (the nkapp.dll beside the test assembly) as a real child process, so signals, kills and locks are real; its
/// output and errors are collected as they come, for assertions and failure messages.
/// </summary>
public sealed class NkappProcess : IDisposable, IAsyncDisposable
{
    private readonly StringBuilder output = new();

    private NkappProcess(Process process)
    {
        Process = process;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Process Process { get; }

    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    public static NkappProcess Start(string directory, params string[] args) => Start(directory, environment: null, args);

    /// <param name="directory">The working directory; null: the test's own.</param>
    /// <param name="environment">Variables set for nkapp beside the test's own.</param>
    public static NkappProcess Start(string? directory, IReadOnlyDictionary<string, string>? environment, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            WorkingDirectory = directory ?? string.Empty,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "nkapp.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return new NkappProcess(Process.Start(start)!);
    }

    /// <summary>Kills nkapp if it still runs, without waiting for it to go.</summary>
    public void Dispose()
    {
        if (!Process.HasExited)
        {
            Process.Kill();
        }

        Process.Dispose();
    }

    /// <summary>Kills nkapp if it still runs and waits until it has gone.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!Process.HasExited)
        {
            Process.Kill();
            await Process.WaitForExitAsync().ConfigureAwait(false);
        }

        Process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }
}
