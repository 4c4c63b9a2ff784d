using System.Diagnostics;
using Nanokit.Core.Model;
using Nanokit.Runtime;

namespace Nanokit.Providers.Local;

/// <summary>
/// Starts a replica as a detached process tree that outlives nkapp.
///
/// Design: <c>setsid sh -c WRAPPER</c>. setsid gives the wrapper its own session and process group (pgid = its pid),
/// so Ctrl-C, a closing terminal or a group kill aimed at nkapp never reaches the service, and stop can signal the
/// whole group (the command and anything it forked). stdin is /dev/null, so no pipe ties the service to nkapp.
///
/// The recorded pid is the wrapper's, not the command's: the wrapper does nothing but wait for the command and then
/// write <c>$?</c> to the exit file (another process cannot waitpid a detached child, so this is the only way to learn
/// its exit code). The wrapper lives exactly as long as the command, and as group leader its pid names the group.
/// It traps TERM/INT/HUP with a no-op, so a group SIGTERM lets it survive to record the command's status (the trap is
/// reset to the default in the command by exec). A SIGKILL'd group records nothing: that replica becomes Missing.
///
/// Output and its times: the command's stdout and stderr go through a FIFO to a log pump (<see cref="LogPump"/>, a
/// perl script: perl-base is Essential on Debian) started by the wrapper in the same process group, which appends each
/// line to the log with the time it read it, as Docker's json-file driver keeps one. A FIFO rather than a pipeline
/// because POSIX sh has no pipefail and waits for a whole pipeline: with the pump in the background the wrapper still
/// waits for the command alone and records its own exit code, and a hook that leaves a helper holding its output still
/// ends when its command does. The pump ignores TERM/INT/HUP (it inherits them ignored, so no early signal can
/// catch it either) and ends at end of file, when the command and everything that inherited its output are gone, so
/// a stop loses none of the last lines; a SIGKILL after the grace period ends it with the rest of the group. The FIFO
/// is unlinked as soon as both ends are open.
///
/// Crash safety: the wrapper is spawned gated. It waits (up to 30 s) until the state file's first line holds its
/// random token before it runs the command, and nkapp writes that file right after the spawn. If nkapp dies in
/// between, the wrapper gives up without ever running the command, so no untracked replica can exist.
///
/// Descriptors: the wrapper's 0, 1 and 2 become /dev/null and the log before anything runs, and every other
/// descriptor nkapp inherited is marked close-on-exec first (<see cref="InheritedDescriptors"/>), so the service holds
/// no pipe or file of its caller: its 1 and 2 are the FIFO to the pump, and only the pump reads it. Hooks are launched
/// the same way (<see cref="HookRunner"/>).
/// </summary>
internal static class ProcessLauncher
{
    private const string Wrapper = """
        state=$1; token=$2; log=$3; exitfile=$4; sleep=$5; mv=$6; mkfifo=$7; perl=$8; pump=$9; shift 9
        exec </dev/null >>"$log" 2>&1
        trap : TERM INT HUP
        tries=0
        while :; do
          line=
          [ -r "$state" ] && { read -r line; } 2>/dev/null <"$state"
          case $line in *"$token"*) break ;; esac
          tries=$((tries + 1))
          [ "$tries" -gt 1500 ] && exit 125
          "$sleep" 0.02
        done
        fifo=$exitfile.fifo
        rm -f "$fifo" && "$mkfifo" -m 600 "$fifo" || exit 125
        trap '' TERM INT HUP
        "$perl" -e "$pump" <"$fifo" &
        trap : TERM INT HUP
        exec >"$fifo" 2>&1
        rm -f "$fifo"
        "$@"
        rc=$?
        echo "$rc" >"$exitfile.tmp" && "$mv" -f "$exitfile.tmp" "$exitfile"
        exit "$rc"
        """;

    private static readonly Lazy<(string Setsid, string Shell, string Sleep, string Move, string MakeFifo, string Perl)> Tools = new(() =>
        (ProcessEnvironment.HostTool("setsid"), ProcessEnvironment.HostTool("sh"), ProcessEnvironment.HostTool("sleep"),
            ProcessEnvironment.HostTool("mv"), ProcessEnvironment.HostTool("mkfifo"), ProcessEnvironment.HostTool("perl")));

    /// <summary>Spawns a replica's gated wrapper and returns its pid; the caller must then write the record holding <paramref name="token"/>.</summary>
    public static int Spawn(
        ReplicaId id, ServiceSpec service, LocalPaths paths, string token, string workingDirectory,
        IReadOnlyDictionary<string, string> environment, IReadOnlyList<string> commandLine)
    {
        var files = new LaunchFiles(paths.StateFile(id.Service, id.Replica), paths.LogFile(id.Service, id.Replica), paths.ExitFile(id.Service, id.Replica));
        try
        {
            return Spawn("nanokit-" + service.Name, files, token, workingDirectory, environment, commandLine);
        }
        catch (InvalidOperationException e)
        {
            throw new RuntimeException("local", id, e.Message, e);
        }
    }

    /// <summary>
    /// Spawns the gated wrapper for any tracked process (replica or hook): it waits for <paramref name="token"/> in
    /// <see cref="LaunchFiles.Record"/>, appends its output to <see cref="LaunchFiles.Log"/> and its exit code to
    /// <see cref="LaunchFiles.Exit"/>. Throws <see cref="InvalidOperationException"/> when nothing could be started.
    /// </summary>
    public static int Spawn(
        string name, LaunchFiles files, string token, string workingDirectory,
        IReadOnlyDictionary<string, string> environment, IReadOnlyList<string> commandLine)
    {
        var tools = Tools.Value;
        if (!Path.IsPathRooted(tools.Perl))
        {
            // Without the pump the wrapper would wait forever for a reader of its FIFO: refuse before anything starts.
            throw new InvalidOperationException("perl not found in PATH: the local runtime's log pump needs it (package perl-base, Essential on Debian)");
        }

        var start = new ProcessStartInfo(tools.Setsid)
        {
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var arg in new[] { tools.Shell, "-c", Wrapper, name, files.Record, token, files.Log, files.Exit, tools.Sleep, tools.Move, tools.MakeFifo, tools.Perl, LogPump.Script })
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var arg in commandLine)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Clear();
        foreach (var (variable, value) in environment.Where(e => EnvironmentNames.IsValid(e.Key)))
        {
            start.Environment[variable] = value;
        }

        Process process;
        try
        {
            InheritedDescriptors.MarkCloseOnExec();
            process = Process.Start(start) ?? throw new InvalidOperationException("Process.Start returned null");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"cannot start '{tools.Setsid}': {e.Message}", e);
        }

        var pid = process.Id;
        AwaitOwnGroup(pid);

        // Keep the Process tracked until it exits so the runtime reaps it while nkapp lives (after that, init does).
        _ = process.WaitForExitAsync().ContinueWith(_ => process.Dispose(), TaskScheduler.Default);
        return pid;
    }

    /// <summary>
    /// setsid makes the wrapper its own process-group leader a moment after the fork. Until then every
    /// group-based check (observe, health, stop) would find nothing of ours and call the replica gone, so the
    /// spawn returns only once the wrapper leads its group (or has already exited, which observation reports).
    /// </summary>
    private static void AwaitOwnGroup(int pid)
    {
        var deadline = Environment.TickCount64 + 5_000;
        while (ProcTable.Read(pid) is { } stat && stat.ProcessGroup != pid && Environment.TickCount64 < deadline)
        {
            Thread.Sleep(1);
        }
    }
}

/// <summary>The files one wrapper uses: the record it waits for (its go signal), its log, and where it writes the exit code.</summary>
internal readonly record struct LaunchFiles(string Record, string Log, string Exit);
