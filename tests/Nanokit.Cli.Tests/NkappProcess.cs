using System.Diagnostics;

namespace Nanokit.Cli.Tests;

/// <summary>nkapp as a real child process (so signals, kills and the project lock are real), its output collected as it comes.</summary>
internal sealed class NkappProcess : IDisposable
{
    private readonly System.Text.StringBuilder output = new();

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

    public static NkappProcess Start(string directory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "nkapp.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return new NkappProcess(Process.Start(start)!);
    }

    public void Dispose()
    {
        if (!Process.HasExited)
        {
            Process.Kill();
        }

        Process.Dispose();
    }

    private void Append(string? line)
    {
        lock (output)
        {
            output.AppendLine(line);
        }
    }
}
