using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Nanokit.Core.Model;
using Nanokit.Runtime;

namespace Nanokit.Providers.Local;

/// <summary>
/// The embedded default runtime: each replica is a detached OS process tree started from <c>entrypoint + command</c>
/// (see <see cref="ProcessLauncher"/> for detachment and exit codes, <see cref="ProcTable"/> for identity,
/// <see cref="HookRunner"/> for hooks, which are tracked the same way,
/// <see cref="ProcessStopper"/> for stopping, <see cref="LogFiles"/> for logs and rotation).
/// All state lives in files under the project directory, so a new nkapp process (or a crashed one restarted)
/// observes exactly what an earlier one started. Calls on one replica slot are serialized within this process;
/// across processes the CLI's per-project lock is what keeps two writers apart.
/// </summary>
public sealed class LocalRuntime : IRuntimeProvider, IReplicaLogs, IReplicaCommands, IRecordedHealth, IAsyncDisposable
{
    private const string ProviderName = "local";

    /// <summary>What a stopped replica reports as its exit code when its wrapper could not write one: 128 + SIGTERM.</summary>
    private const int StoppedExitCode = 143;

    private readonly LocalRuntimeOptions _options;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _slotLocks = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, HealthTracker> _health = new(StringComparer.Ordinal);
    private readonly HookRunner _hooks;
    private readonly SemaphoreSlim _readinessSlots;

    public LocalRuntime(LocalRuntimeOptions? options = null, TimeProvider? time = null)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("the local runtime needs Linux (/proc, setsid, process groups)");
        }

        _options = options ?? new LocalRuntimeOptions();
        _options.Validate();
        _time = time ?? TimeProvider.System;
        _hooks = new HookRunner(_options);
        _readinessSlots = new SemaphoreSlim(_options.ReadinessProbeConcurrency, _options.ReadinessProbeConcurrency);
    }

    public string Name => ProviderName;

    public Task<ObservedState> ObserveAsync(ProjectRef project, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(project);
        cancellationToken.ThrowIfCancellationRequested();
        var paths = PathsOf(project);
        var snapshot = ProcTable.Snapshot();
        var replicas = ReplicaRecordStore.ReadAll(paths.StateDirectory)
            .Where(r => r.Project == project.Name)
            .Select(r => Observe(project, r, snapshot, paths, rotateLogs: true))
            .OrderBy(r => r.Service, StringComparer.Ordinal)
            .ThenBy(r => r.Replica)
            .ToImmutableArray();
        return Task.FromResult(new ObservedState(replicas));
    }

    public async Task<ObservedReplica> CreateAsync(ReplicaSpec replica, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(replica);
        var id = replica.Id;
        Validate(id, replica.Service);
        var paths = PathsOf(id.Project);
        using var slot = await LockAsync(id, cancellationToken).ConfigureAwait(false);
        if (ReplicaRecordStore.Read(paths.StateFile(id.Service, id.Replica)) is { } existing && existing.Project == id.Project.Name)
        {
            var current = Observe(id.Project, existing, ProcTable.Snapshot(), paths, rotateLogs: false);
            if (current.State is ReplicaState.Running or ReplicaState.Unhealthy && existing.ConfigHash == replica.ConfigHash)
            {
                return current;
            }

            await ProcessStopper.StopAsync(id, existing, existing.Spec.StopGracePeriod, _options, cancellationToken).ConfigureAwait(false);
        }

        return Spawn(id, replica.Service, replica.ConfigHash, replica.Generation, paths);
    }

    public async Task<ObservedReplica> StartAsync(ReplicaId replica, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(replica);
        var paths = PathsOf(replica.Project);
        using var slot = await LockAsync(replica, cancellationToken).ConfigureAwait(false);
        var record = ReplicaRecordStore.Read(paths.StateFile(replica.Service, replica.Replica))
            ?? throw new RuntimeException(ProviderName, replica, "cannot start: the replica does not exist (create it instead)");
        var current = Observe(replica.Project, record, ProcTable.Snapshot(), paths, rotateLogs: false);
        if (current.State is ReplicaState.Running or ReplicaState.Unhealthy)
        {
            return current;
        }

        Validate(replica, record.Spec);
        return Spawn(replica, record.Spec, record.ConfigHash, record.Generation, paths);
    }

    /// <summary>
    /// Stops the process group as <see cref="DeleteAsync"/> does and keeps the record. A wrapper killed by the signal
    /// writes no exit code, so one is written for it (128 + SIGTERM, as a shell reports it): the replica is observed as
    /// Exited, never Missing, and <see cref="StartAsync"/> starts it again.
    /// </summary>
    public async Task StopAsync(ReplicaId replica, TimeSpan? stopTimeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(replica);
        var paths = PathsOf(replica.Project);
        using var slot = await LockAsync(replica, cancellationToken).ConfigureAwait(false);
        if (ReplicaRecordStore.Read(paths.StateFile(replica.Service, replica.Replica)) is not { } record)
        {
            return;
        }

        await ProcessStopper.StopAsync(replica, record, stopTimeout ?? record.Spec.StopGracePeriod, _options, cancellationToken).ConfigureAwait(false);
        var exitFile = paths.ExitFile(replica.Service, replica.Replica);
        if (ReplicaRecordStore.ReadExitCode(exitFile) is null)
        {
            File.WriteAllText(exitFile + ".tmp", StoppedExitCode + "\n");
            File.Move(exitFile + ".tmp", exitFile, overwrite: true);
        }

        File.Delete(paths.HealthFile(replica.Service, replica.Replica));
        _health.TryRemove(Key(replica), out _);
    }

    public async Task DeleteAsync(ReplicaId replica, TimeSpan? stopTimeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(replica);
        var paths = PathsOf(replica.Project);
        using var slot = await LockAsync(replica, cancellationToken).ConfigureAwait(false);
        var stateFile = paths.StateFile(replica.Service, replica.Replica);
        if (ReplicaRecordStore.Read(stateFile) is { } record)
        {
            await ProcessStopper.StopAsync(replica, record, stopTimeout ?? record.Spec.StopGracePeriod, _options, cancellationToken).ConfigureAwait(false);
        }

        // Logs stay for post-mortems (`nkapp logs` after `down`); only state goes.
        File.Delete(stateFile);
        File.Delete(paths.ExitFile(replica.Service, replica.Replica));
        File.Delete(paths.HealthFile(replica.Service, replica.Replica));
        _health.TryRemove(Key(replica), out _);
    }

    public Task<HealthStatus> ProbeHealthAsync(ReplicaId replica, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(replica);
        return ProbeAsync(replica, gating: false, cancellationToken);
    }

    /// <summary>
    /// Active readiness, as on Docker: while a replica is waited for, its healthcheck runs at once and then after a pause that
    /// starts at <see cref="LocalRuntimeOptions.ReadinessProbeFirstDelay"/> and doubles up to <see cref="LocalRuntimeOptions.ReadinessProbeMaxDelay"/>,
    /// so the gate opens on the first success rather than at the next scheduled probe. Only the scheduled probes (every
    /// <c>interval</c>, or <c>start_interval</c> in the start period) count failures, so <c>retries</c> keeps its meaning;
    /// a pause never runs past the next scheduled probe. At most <see cref="LocalRuntimeOptions.ReadinessProbeConcurrency"/>
    /// readiness probes run at once across the runtime.
    /// </summary>
    public async Task<HealthStatus> WaitForHealthAsync(ReplicaId replica, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(replica);
        var pause = _options.ReadinessProbeFirstDelay;
        while (true)
        {
            await _readinessSlots.WaitAsync(cancellationToken).ConfigureAwait(false);
            HealthStatus status;
            try
            {
                status = await ProbeAsync(replica, gating: true, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _readinessSlots.Release();
            }

            if (status != HealthStatus.Starting)
            {
                return status;
            }

            var untilScheduled = _health.TryGetValue(Key(replica), out var tracker)
                && ReplicaRecordStore.Read(PathsOf(replica.Project).StateFile(replica.Service, replica.Replica))?.Spec.Healthcheck is { } check
                ? tracker.DueIn(check, _time.GetUtcNow())
                : pause;
            await Task.Delay(TimeSpan.FromTicks(Math.Clamp(untilScheduled.Ticks, 0, pause.Ticks)), _time, cancellationToken).ConfigureAwait(false);
            pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, _options.ReadinessProbeMaxDelay.Ticks));
        }
    }

    private async Task<HealthStatus> ProbeAsync(ReplicaId replica, bool gating, CancellationToken cancellationToken)
    {
        var paths = PathsOf(replica.Project);
        if (ReplicaRecordStore.Read(paths.StateFile(replica.Service, replica.Replica)) is not { } record)
        {
            return HealthStatus.Unhealthy;
        }

        if (HealthProbe.IsNone(record.Spec.Healthcheck))
        {
            return HealthStatus.None;
        }

        var check = record.Spec.Healthcheck!;
        var snapshot = ProcTable.Snapshot();
        if (ProcessStopper.Members(record, snapshot).Count == 0)
        {
            return HealthStatus.Unhealthy;
        }

        var tracker = _health.AddOrUpdate(
            Key(replica),
            _ => new HealthTracker(record.Id, record.StartedAt),
            (_, old) => old.Incarnation == record.Id ? old : new HealthTracker(record.Id, record.StartedAt));
        var workingDirectory = ProcessEnvironment.WorkingDirectory(replica.Project, record.Spec);
        var environment = ProcessEnvironment.For(replica.Project, record.Spec, replica.Replica);
        var before = tracker.Status;
        var status = await tracker.ProbeAsync(
            check, ct => HealthProbe.RunAsync(check, workingDirectory, environment, ct), _time, gating, cancellationToken).ConfigureAwait(false);
        if (status != before && status is HealthStatus.Healthy or HealthStatus.Unhealthy)
        {
            // Only changes are written (one small file per verdict, not per probe); a later process reads it in LastHealthAsync.
            ReplicaRecordStore.Write(paths.HealthFile(replica.Service, replica.Replica), new HealthRecord(record.Id, status, _time.GetUtcNow()));
        }

        return status;
    }

    public Task<RecordedHealth?> LastHealthAsync(ReplicaId replica, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(replica);
        cancellationToken.ThrowIfCancellationRequested();
        var paths = PathsOf(replica.Project);
        var record = ReplicaRecordStore.Read(paths.StateFile(replica.Service, replica.Replica));
        var health = ReplicaRecordStore.Read<HealthRecord>(paths.HealthFile(replica.Service, replica.Replica));
        return Task.FromResult(record is not null && health is not null && health.Incarnation == record.Id
            ? new RecordedHealth(health.Status, health.At)
            : null);
    }

    public async Task<int> WaitForCompletionAsync(ReplicaId replica, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(replica);
        var paths = PathsOf(replica.Project);
        while (true)
        {
            var record = ReplicaRecordStore.Read(paths.StateFile(replica.Service, replica.Replica))
                ?? throw new RuntimeException(ProviderName, replica, "cannot wait for completion: the replica does not exist");
            var observed = Observe(replica.Project, record, ProcTable.Snapshot(), paths, rotateLogs: false);
            switch (observed.State)
            {
                case ReplicaState.Exited when observed.ExitCode is { } code:
                    return code;
                case ReplicaState.Missing:
                    throw new RuntimeException(ProviderName, replica, "the process ended without recording an exit code (killed with SIGKILL?)");
            }

            await Task.Delay(_options.PollInterval * 2, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<HookResult> RunHookAsync(ProjectRef project, ServiceSpec service, HookKind kind, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(service);
        var hook = service.Hooks.For(kind) ?? throw new ArgumentException($"service {service.Name} has no {kind} hook", nameof(kind));
        if (hook.Command.IsDefaultOrEmpty)
        {
            throw new RuntimeException(ProviderName, project.Name, service.Name, null, "hook has an empty command");
        }

        var workingDirectory = ProcessEnvironment.WorkingDirectory(project, service);
        var environment = ProcessEnvironment.For(project, service, null);
        if (!Directory.Exists(workingDirectory))
        {
            throw new RuntimeException(ProviderName, project.Name, service.Name, null, $"hook working directory '{workingDirectory}' does not exist");
        }

        if (ProcessEnvironment.ResolveExecutable(hook.Command[0], workingDirectory, environment) is null)
        {
            throw new RuntimeException(ProviderName, project.Name, service.Name, null, $"hook command '{hook.Command[0]}' not found in PATH");
        }

        if (!LocalPaths.IsSafeName(project.Name) || !LocalPaths.IsSafeName(service.Name))
        {
            throw new RuntimeException(ProviderName, project.Name, service.Name, null, "project and service names must be plain file names");
        }

        return await _hooks.RunAsync(project, service, kind, hook, workingDirectory, environment, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops the hooks still running (a SIGTERM'd nkapp ends here) and returns once they are gone; replicas keep running.</summary>
    public ValueTask DisposeAsync() => _hooks.DisposeAsync();

    /// <summary>Polls /proc and the state files every <see cref="LocalRuntimeOptions.WatchInterval"/>; yields what changed since the call.</summary>
    public async IAsyncEnumerable<RuntimeChange> WatchAsync(ProjectRef project, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(project);
        var previous = Index(await ObserveAsync(project, cancellationToken).ConfigureAwait(false));
        while (true)
        {
            await Task.Delay(_options.WatchInterval, _time, cancellationToken).ConfigureAwait(false);
            var current = Index(await ObserveAsync(project, cancellationToken).ConfigureAwait(false));
            var now = _time.GetUtcNow();
            foreach (var (slot, replica) in current)
            {
                if (!previous.TryGetValue(slot, out var before) || Changed(before, replica))
                {
                    yield return new RuntimeChange(project.Name, replica, now);
                }
            }

            foreach (var (slot, replica) in previous)
            {
                if (!current.ContainsKey(slot))
                {
                    yield return new RuntimeChange(project.Name, replica with { State = ReplicaState.Missing, ExitCode = null }, now);
                }
            }

            previous = current;
        }
    }

    /// <summary>
    /// Whether a replica changed between two polls. Not record equality: the applied definition is read afresh
    /// each time and its collections compare by reference, which would report every replica on every poll.
    /// </summary>
    private static bool Changed(ObservedReplica before, ObservedReplica now) =>
        before.State != now.State || before.ExitCode != now.ExitCode || before.Id != now.Id
        || before.ConfigHash != now.ConfigHash || before.Generation != now.Generation;

    public IAsyncEnumerable<string> ReadLogsAsync(ReplicaId replica, LogReadOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(replica);
        ArgumentNullException.ThrowIfNull(options);
        if (!LocalPaths.IsSafeName(replica.Service))
        {
            throw new RuntimeException(ProviderName, replica, "invalid service name");
        }

        var path = PathsOf(replica.Project).LogFile(replica.Service, replica.Replica);
        return LogFiles.ReadAsync(path, options, TimeSpan.FromMilliseconds(250), cancellationToken);
    }

    /// <summary>The log pump stores each line with the time it read it (<see cref="LogPump"/>).</summary>
    public bool KnowsLineTimes => true;

    /// <summary>A command in the replica's environment and working directory, while its process runs (see <see cref="ForegroundCommand"/>).</summary>
    public async Task<int> ExecAsync(ReplicaId replica, ImmutableArray<string> command, CommandStreams streams, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(replica);
        ArgumentNullException.ThrowIfNull(streams);
        var paths = PathsOf(replica.Project);
        var record = ReplicaRecordStore.Read(paths.StateFile(replica.Service, replica.Replica));
        var state = record is null ? null : Observe(replica.Project, record, ProcTable.Snapshot(), paths, rotateLogs: false);
        if (record is null || state is not { State: ReplicaState.Running or ReplicaState.Unhealthy })
        {
            throw new RuntimeException(ProviderName, replica, state is null ? "no such replica: run `nkapp up` first" : $"not running ({state.State.ToString().ToLowerInvariant()}); start it with `nkapp start {replica.Service}`");
        }

        return await ForegroundCommand.RunAsync(
            replica.Project, replica.Service, replica.Replica, command,
            ProcessEnvironment.WorkingDirectory(replica.Project, record.Spec), ProcessEnvironment.For(replica.Project, record.Spec, replica.Replica),
            streams, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The service's entrypoint and <paramref name="command"/> (its own command when empty), as a one-off without a replica index.</summary>
    public Task<int> RunOnceAsync(ProjectRef project, ServiceSpec service, ImmutableArray<string> command, CommandStreams streams, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(streams);
        var definition = command.IsDefaultOrEmpty ? service : service with { Command = command };
        return ForegroundCommand.RunAsync(
            project, service.Name, null, ProcessEnvironment.CommandLine(definition),
            ProcessEnvironment.WorkingDirectory(project, service), ProcessEnvironment.For(project, service, null), streams, cancellationToken);
    }

    /// <summary>A hook's log (<c>.nanokit/logs/SERVICE.KIND.log</c>, appended by every run); nothing when it never ran.</summary>
    public IAsyncEnumerable<string> ReadHookLogsAsync(ProjectRef project, string service, HookKind kind, LogReadOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(options);
        if (!LocalPaths.IsSafeName(service))
        {
            throw new RuntimeException(ProviderName, project.Name, service, null, "invalid service name");
        }

        var path = PathsOf(project).Hook(service, kind).Log;
        return File.Exists(path) || options.Follow
            ? LogFiles.ReadAsync(path, options, TimeSpan.FromMilliseconds(250), cancellationToken)
            : AsyncEnumerable.Empty<string>();
    }

    /// <summary>
    /// The live processes of a replica's process group (its wrapper, its command and whatever they forked), in pid order,
    /// for <c>nkapp top</c>; null when the replica has no live process.
    /// </summary>
    public IReadOnlyList<(int Pid, string Command)>? Top(ReplicaId replica)
    {
        ArgumentNullException.ThrowIfNull(replica);
        if (!LocalPaths.IsSafeName(replica.Service))
        {
            throw new RuntimeException(ProviderName, replica, "invalid service name");
        }

        var record = ReplicaRecordStore.Read(PathsOf(replica.Project).StateFile(replica.Service, replica.Replica));
        var members = record is null ? [] : ProcessStopper.Members(record, ProcTable.Snapshot());
        return members.Count == 0 ? null : [.. members.OrderBy(p => p.Pid).Select(p => (p.Pid, ProcTable.CommandLine(p.Pid)))];
    }

    /// <summary>The log file of a replica, for tools that want the path itself.</summary>
    public static string LogPath(ReplicaId replica)
    {
        ArgumentNullException.ThrowIfNull(replica);
        return PathsOf(replica.Project).LogFile(replica.Service, replica.Replica);
    }

    private ObservedReplica Spawn(ReplicaId id, ServiceSpec service, string configHash, long generation, LocalPaths paths)
    {
        var workingDirectory = ProcessEnvironment.WorkingDirectory(id.Project, service);
        if (!Directory.Exists(workingDirectory))
        {
            throw new RuntimeException(ProviderName, id, $"working directory '{workingDirectory}' does not exist");
        }

        var environment = ProcessEnvironment.For(id.Project, service, id.Replica);
        var commandLine = ProcessEnvironment.CommandLine(service);
        if (ProcessEnvironment.ResolveExecutable(commandLine[0], workingDirectory, environment) is null)
        {
            throw new RuntimeException(ProviderName, id, $"command '{commandLine[0]}' not found in PATH");
        }

        ReplicaRecordStore.EnsurePrivateDirectory(paths.StateDirectory);
        ReplicaRecordStore.EnsurePrivateDirectory(paths.LogDirectory);
        File.Delete(paths.ExitFile(id.Service, id.Replica));
        LogFiles.RotateIfLarge(paths.LogFile(id.Service, id.Replica), _options.LogMaxBytes, _options.LogFilesKept, processIsWriting: false);

        var token = Guid.NewGuid().ToString("N");
        var pid = ProcessLauncher.Spawn(id, service, paths, token, workingDirectory, environment, commandLine);

        // Start time 0 only when the wrapper already vanished: that record can then never match a live process.
        var record = new ReplicaRecord(
            id.Project.Name, id.Service, id.Replica, pid, ProcTable.Read(pid)?.StartTicks ?? 0, ProcTable.BootId, token,
            configHash, generation, _time.GetUtcNow(), service);
        ReplicaRecordStore.Write(paths.StateFile(id.Service, id.Replica), record);
        _health.TryRemove(Key(id), out _);
        return Observe(id.Project, record, ProcTable.Snapshot(), paths, rotateLogs: false);
    }

    private ObservedReplica Observe(ProjectRef project, ReplicaRecord record, IReadOnlyList<ProcStat> snapshot, LocalPaths paths, bool rotateLogs)
    {
        ReplicaState state;
        int? exitCode = null;
        if (ProcessStopper.Members(record, snapshot).Count > 0)
        {
            var unhealthy = _health.TryGetValue(Key(new ReplicaId(project, record.Service, record.Replica)), out var tracker)
                            && tracker.Incarnation == record.Id && tracker.Status == HealthStatus.Unhealthy;
            state = unhealthy ? ReplicaState.Unhealthy : ReplicaState.Running;
            if (rotateLogs)
            {
                LogFiles.RotateIfLarge(paths.LogFile(record.Service, record.Replica), _options.LogMaxBytes, _options.LogFilesKept, processIsWriting: true);
            }
        }
        else if (ReplicaRecordStore.ReadExitCode(paths.ExitFile(record.Service, record.Replica)) is { } code)
        {
            state = ReplicaState.Exited;
            exitCode = code;
        }
        else
        {
            state = ReplicaState.Missing;
        }

        return new ObservedReplica(record.Service, record.Replica, record.ConfigHash, state, exitCode, record.Id, record.Generation, record.Spec);
    }

    private static void Validate(ReplicaId id, ServiceSpec service)
    {
        if (!LocalPaths.IsSafeName(id.Project.Name) || !LocalPaths.IsSafeName(service.Name) || id.Replica < 0)
        {
            throw new RuntimeException(ProviderName, id, "project and service names must be plain file names and the replica index non-negative");
        }

        if (!string.IsNullOrEmpty(service.Image))
        {
            throw new RuntimeException(
                ProviderName, id,
                $"'image: {service.Image}' cannot run under runtime local, which starts processes from 'command'; remove 'image' or use 'runtime: docker'");
        }

        if (ProcessEnvironment.CommandLine(service).IsEmpty)
        {
            throw new RuntimeException(ProviderName, id, "no 'command' (or 'entrypoint') to run");
        }
    }

    private async Task<IDisposable> LockAsync(ReplicaId id, CancellationToken cancellationToken)
    {
        var gate = _slotLocks.GetOrAdd(Key(id), static _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Releaser(gate);
    }

    private static string Key(ReplicaId id) =>
        string.Join('\0', Path.GetFullPath(id.Project.Directory), id.Project.Name, id.Service, id.Replica);

    private static LocalPaths PathsOf(ProjectRef project) => new(Path.GetFullPath(project.Directory), project.Name);

    private static Dictionary<(string, int), ObservedReplica> Index(ObservedState state) =>
        state.Replicas.ToDictionary(r => (r.Service, r.Replica));

    private sealed class Releaser(SemaphoreSlim gate) : IDisposable
    {
        public void Dispose() => gate.Release();
    }
}
