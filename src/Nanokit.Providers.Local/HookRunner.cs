using System.Collections.Concurrent;
using System.Diagnostics;
using Nanokit.Core.Model;
using Nanokit.Runtime;

namespace Nanokit.Providers.Local;

/// <summary>
/// Runs hooks as tracked process groups, as replicas are run (see <see cref="ProcessLauncher"/>): detached, recorded
/// before the command starts, output appended to a log file instead of a pipe into nkapp (so a hook that outlives
/// nkapp is not killed by SIGPIPE halfway through a migration).
///
/// One hook at a time per service: within this process a gate per service; across processes the record file. A hook
/// is stopped with its run: when the caller's token is cancelled, or this runtime is disposed (nkapp's SIGTERM/SIGINT
/// path disposes it after the reconciler stops), its whole group gets SIGTERM, then SIGKILL after the service's
/// stop grace period, and the call returns only once the group is gone.
///
/// A hook whose nkapp was killed (kill -9, OOM, power) is found through its record by the next hook of the service
/// and waited for, never run alongside. It is waited for, not killed, because a prestart hook is typically a
/// migration: interrupting it can leave a schema half-applied (DDL is not transactional everywhere), which is worse
/// than the wait. The wait is bounded by the hook's own timeout counted from when it started, after which its own run
/// would have stopped it too, and it is stopped then; cancelling the waiting run stops it as well, since that run has
/// taken it over. Then the hook runs anew: the dead run never acted on its result, and hooks run on every apply anyway.
/// When a hook's command ends, whatever it left in its group is stopped, so nothing of a hook outlives it.
/// </summary>
internal sealed class HookRunner : IAsyncDisposable
{
    /// <summary>What a shell reports for a command killed with SIGKILL: the wrapper recorded nothing.</summary>
    private const int KilledExitCode = 128 + Posix.SigKill;

    private static readonly Lazy<long> OwnStartTicks = new(() => ProcTable.Read(Environment.ProcessId)?.StartTicks ?? 0);

    private readonly LocalRuntimeOptions _options;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _gates = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Task, byte> _running = new();
    private readonly CancellationTokenSource _stopping = new();

    public HookRunner(LocalRuntimeOptions options) => _options = options;

    public async Task<HookResult> RunAsync(
        ProjectRef project, ServiceSpec service, HookKind kind, Hook hook, string workingDirectory,
        IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken)
    {
        var run = RunTrackedAsync(project, service, kind, hook, workingDirectory, environment, cancellationToken);
        _running.TryAdd(run, 0);
        try
        {
            return await run.ConfigureAwait(false);
        }
        finally
        {
            _running.TryRemove(run, out _);
        }
    }

    /// <summary>Stops every hook this runtime is running and returns once their groups are gone.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var run in _running.Keys)
        {
            try
            {
                await run.ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or RuntimeException)
            {
                // The run's caller sees its outcome; disposing only needs it finished.
            }
        }
    }

    private async Task<HookResult> RunTrackedAsync(
        ProjectRef project, ServiceSpec service, HookKind kind, Hook hook, string workingDirectory,
        IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopping.Token);
        var token = linked.Token;
        var paths = new LocalPaths(Path.GetFullPath(project.Directory), project.Name);
        var files = paths.Hook(service.Name, kind);
        var gate = _gates.GetOrAdd(string.Join('\0', paths.ProjectDirectory, project.Name, service.Name), static _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(token).ConfigureAwait(false);
        try
        {
            await SettleLeftoverAsync(project, files, token).ConfigureAwait(false);
            ReplicaRecordStore.EnsurePrivateDirectory(paths.HookDirectory);
            ReplicaRecordStore.EnsurePrivateDirectory(paths.LogDirectory);
            LogFiles.RotateIfLarge(files.Log, _options.LogMaxBytes, _options.LogFilesKept, processIsWriting: false);
            var offset = File.Exists(files.Log) ? new FileInfo(files.Log).Length : 0;
            File.Delete(files.Exit);

            var clock = Stopwatch.StartNew();
            var launchToken = Guid.NewGuid().ToString("N");
            int pid;
            try
            {
                pid = ProcessLauncher.Spawn($"nanokit-{service.Name}-{kind.ToString().ToLowerInvariant()}", files, launchToken, workingDirectory, environment, hook.Command);
            }
            catch (InvalidOperationException e)
            {
                throw new RuntimeException("local", project.Name, service.Name, null, e.Message, e);
            }

            var timeout = hook.Timeout > TimeSpan.Zero ? hook.Timeout : TimeSpan.Zero;
            var record = new HookRecord(
                project.Name, service.Name, kind, pid, ProcTable.Read(pid)?.StartTicks ?? 0, ProcTable.BootId, launchToken,
                DateTimeOffset.UtcNow, timeout, service.StopGracePeriod, Environment.ProcessId, OwnStartTicks.Value);
            ReplicaRecordStore.Write(files.Record, record);
            try
            {
                var ended = await WaitForLeaderAsync(record, token).ConfigureAwait(false);
                await StopGroupAsync(project, record).ConfigureAwait(false);
                var exitCode = ReplicaRecordStore.ReadExitCode(files.Exit) ?? KilledExitCode;
                return new HookResult(exitCode, LogFiles.ReadTailChars(files.Log, offset, _options.HookOutputTailChars), !ended, clock.Elapsed);
            }
            catch (OperationCanceledException)
            {
                await StopGroupAsync(project, record).ConfigureAwait(false);
                throw;
            }
            finally
            {
                Forget(record, files);
            }
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Waits for a hook left by an earlier nkapp (see the type's notes), then clears its record.</summary>
    private async Task SettleLeftoverAsync(ProjectRef project, LaunchFiles files, CancellationToken cancellationToken)
    {
        if (ReplicaRecordStore.Read<HookRecord>(files.Record) is not { } leftover)
        {
            return;
        }

        try
        {
            await WaitForLeaderAsync(leftover, cancellationToken).ConfigureAwait(false);
            await StopGroupAsync(project, leftover).ConfigureAwait(false);

            // An owner still alive (another nkapp that skipped the project lock, another runtime in this process) still
            // reads the exit code and clears the record; clearing it here would take the exit code from under it.
            while (ProcessStopper.LeaderAlive(leftover.Owner, ProcTable.Snapshot())
                   && ReplicaRecordStore.Read<HookRecord>(files.Record)?.Token == leftover.Token)
            {
                await Task.Delay(_options.PollInterval, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            await StopGroupAsync(project, leftover).ConfigureAwait(false);
            throw;
        }

        Forget(leftover, files);
    }

    /// <summary>True once the hook's wrapper (and so its command) has ended; false when its timeout, counted from its start, passed first.</summary>
    private async Task<bool> WaitForLeaderAsync(HookRecord record, CancellationToken cancellationToken)
    {
        while (ProcessStopper.LeaderAlive(record.Process, ProcTable.Snapshot()))
        {
            if (record.Timeout > TimeSpan.Zero && DateTimeOffset.UtcNow - record.StartedAt >= record.Timeout)
            {
                return false;
            }

            await Task.Delay(_options.PollInterval, cancellationToken).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>Stops the hook's group (or what its command left in it). Not cancellable: a stop that began is finished, bounded by grace + kill timeout.</summary>
    private async Task StopGroupAsync(ProjectRef project, HookRecord record)
    {
        if (!await ProcessStopper.StopAsync(record.Process, record.StopGrace, _options, CancellationToken.None).ConfigureAwait(false))
        {
            throw new RuntimeException(
                "local", project.Name, record.Service, null,
                $"{record.Kind.ToString().ToLowerInvariant()} hook process group {record.Pid} still alive {_options.KillTimeout.TotalSeconds:0.#} s after SIGKILL");
        }
    }

    /// <summary>Removes the record once nothing of the hook runs, and only if it is still this hook's (never a later one's).</summary>
    private static void Forget(HookRecord record, LaunchFiles files)
    {
        if (ProcessStopper.Members(record.Process, ProcTable.Snapshot()).Count == 0
            && ReplicaRecordStore.Read<HookRecord>(files.Record)?.Token == record.Token)
        {
            File.Delete(files.Record);
            File.Delete(files.Exit);
        }
    }
}
