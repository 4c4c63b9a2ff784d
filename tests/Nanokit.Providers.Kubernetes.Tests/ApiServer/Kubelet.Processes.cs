using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Nanokit.Providers.Kubernetes.Tests.ApiServer;

// Pods of a runnable image: the container's command then args run as a real process in a scratch directory standing for
// the container's filesystem (its workingDir names a path inside the image, which this machine has not got), with the
// container's env. Its stdout and stderr lines are the pod's log; its exit ends the container with that code, as a
// container whose main process exits (phase Succeeded or Failed with restartPolicy Never). A command that cannot start
// ends the container with 128, the code a runtime gives a StartError. Deleting the pod kills the process.
internal sealed partial class Kubelet
{
    private readonly ConcurrentDictionary<string, Process> processes = new(StringComparer.Ordinal);

    /// <summary>Images whose containers run their command and args as a local process (as if the image held those programs).</summary>
    public ConcurrentDictionary<string, byte> RunnableImages { get; } = new(StringComparer.Ordinal);

    private void Run(string ns, string name, string uid, JsonObject container, ConcurrentQueue<string> lines)
    {
        var argv = (container["command"] as JsonArray ?? []).Concat(container["args"] as JsonArray ?? []).Select(a => a!.GetValue<string>()).ToList();
        var key = Key(ns, name) + "/" + uid;
        var start = new ProcessStartInfo(argv.Count == 0 ? "true" : argv[0])
        {
            WorkingDirectory = Directory.CreateDirectory(Path.Combine(scratch, ns, name)).FullName,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        argv.Skip(1).ToList().ForEach(start.ArgumentList.Add);
        foreach (var env in container["env"] as JsonArray ?? [])
        {
            start.Environment[(string)env!["name"]!] = (string?)env["value"] ?? "";
        }

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            lines.Enqueue($"exec: \"{start.FileName}\": {e.Message}");
            Exit(ns, name, 128);
            return;
        }

        processes[key] = process;
        process.OutputDataReceived += (_, line) => Append(line.Data);
        process.ErrorDataReceived += (_, line) => Append(line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _ = Task.Run(async () =>
        {
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            // Whoever takes it out of the table owns it: here, or a deletion's kill.
            if (processes.TryRemove(new KeyValuePair<string, Process>(key, process)))
            {
                if (store.Get("pods", ns, name)?["metadata"] is { } meta && meta["deletionTimestamp"] is null && (string?)meta["uid"] == uid)
                {
                    Exit(ns, name, process.ExitCode);
                }

                process.Dispose();
            }
        });

        void Append(string? line)
        {
            if (line is not null)
            {
                lines.Enqueue(line);
            }
        }
    }

    // The pod's uid is in the key: a DELETED event read late must not kill the process of a new pod of the same name.
    private async Task KillAsync(string ns, string name, string uid)
    {
        if (processes.TryRemove(Key(ns, name) + "/" + uid, out var process))
        {
            using (process)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    private async Task KillAllAsync()
    {
        foreach (var key in processes.Keys)
        {
            var parts = key.Split('/');
            await KillAsync(parts[0], parts[1], parts[2]).ConfigureAwait(false);
        }
    }
}
