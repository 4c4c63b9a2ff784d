using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Nanokit.Core.Model;

namespace Nanokit.Runtime.Simulated;

/// <summary>
/// An in-memory runtime for scale tests and benchmarks (never the default): replicas are records in a dictionary,
/// with configurable latency, random failures from a seeded Random, and health that turns Healthy after a delay.
/// Drift is simulated with <see cref="Crash"/> and <see cref="Remove"/>, which also feed <see cref="WatchAsync"/>.
/// Each project has its own lock, so 10 k projects reconciling at once do not contend on one.
/// </summary>
public sealed class SimulatedRuntime : IRuntimeProvider, IReplicaLogs
{
    private const string ProviderName = "simulated";

    private readonly SimulatedRuntimeOptions _options;
    private readonly ConcurrentDictionary<string, SimulatedProject> _projects = new(StringComparer.Ordinal);
    private readonly Random _random;
    private readonly Lock _randomGate = new();
    private long _nextId;
    private long _creates;
    private long _deletes;
    private long _starts;
    private long _hooks;
    private long _injectedFailures;

    public SimulatedRuntime(SimulatedRuntimeOptions? options = null)
    {
        _options = options ?? new SimulatedRuntimeOptions();
        _options.Validate();
        _random = new Random(_options.Seed);
    }

    public string Name => ProviderName;

    /// <summary>Calls that reached the runtime (including failed ones), for benchmarks and "no double create" checks.</summary>
    public SimulatedRuntimeStats Stats => new(
        Interlocked.Read(ref _creates),
        Interlocked.Read(ref _starts),
        Interlocked.Read(ref _deletes),
        Interlocked.Read(ref _hooks),
        Interlocked.Read(ref _injectedFailures));

    public Task<ObservedState> ObserveAsync(ProjectRef project, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(project);
        cancellationToken.ThrowIfCancellationRequested();
        if (!_projects.TryGetValue(project.Name, out var state))
        {
            return Task.FromResult(ObservedState.Empty);
        }

        var now = Now;
        lock (state.Gate)
        {
            var replicas = state.Replicas.Values
                .OrderBy(r => r.Spec.Service.Name, StringComparer.Ordinal)
                .ThenBy(r => r.Spec.Replica)
                .Select(r => r.ToObserved(Health(r, now)))
                .ToImmutableArray();
            return Task.FromResult(new ObservedState(replicas));
        }
    }

    public async Task<ObservedReplica> CreateAsync(ReplicaSpec replica, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(replica);
        Interlocked.Increment(ref _creates);
        await DelayAsync(cancellationToken).ConfigureAwait(false);
        var behavior = BehaviorOf(replica.Service.Name);
        if (behavior.FailCreate)
        {
            throw new RuntimeException(ProviderName, replica.Id, "create failed (scripted by SimulatedServiceBehavior.FailCreate)");
        }

        MaybeFail(replica.Id, "create");
        var state = _projects.GetOrAdd(replica.Project.Name, static _ => new SimulatedProject());
        SimulatedReplica created;
        lock (state.Gate)
        {
            var key = (replica.Service.Name, replica.Replica);
            if (state.Replicas.TryGetValue(key, out var existing)
                && existing.State == ReplicaState.Running
                && existing.Spec.ConfigHash == replica.ConfigHash)
            {
                return existing.ToObserved(Health(existing, Now));
            }

            created = new SimulatedReplica(replica, "sim-" + Interlocked.Increment(ref _nextId), Now);
            state.Replicas[key] = created;
        }

        Publish(state, created, HealthStatus.None);
        ScheduleExit(state, created, behavior);
        return created.ToObserved(Health(created, Now));
    }

    public async Task<ObservedReplica> StartAsync(ReplicaId replica, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(replica);
        Interlocked.Increment(ref _starts);
        await DelayAsync(cancellationToken).ConfigureAwait(false);
        MaybeFail(replica, "start");
        if (!_projects.TryGetValue(replica.Project.Name, out var state))
        {
            throw new RuntimeException(ProviderName, replica, "cannot start: the replica does not exist (create it instead)");
        }

        SimulatedReplica restarted;
        lock (state.Gate)
        {
            if (!state.Replicas.TryGetValue((replica.Service, replica.Replica), out var existing))
            {
                throw new RuntimeException(ProviderName, replica, "cannot start: the replica does not exist (create it instead)");
            }

            if (existing.State == ReplicaState.Running)
            {
                return existing.ToObserved(Health(existing, Now));
            }

            restarted = new SimulatedReplica(existing.Spec, "sim-" + Interlocked.Increment(ref _nextId), Now);
            state.Replicas[(replica.Service, replica.Replica)] = restarted;
        }

        Publish(state, restarted, HealthStatus.None);
        ScheduleExit(state, restarted, BehaviorOf(replica.Service));
        return restarted.ToObserved(Health(restarted, Now));
    }

    /// <summary>A running replica becomes Exited (143, as SIGTERM leaves it); anything else is left as it is.</summary>
    public async Task StopAsync(ReplicaId replica, TimeSpan? stopTimeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(replica);
        await DelayAsync(cancellationToken).ConfigureAwait(false);
        MaybeFail(replica, "stop");
        if (Find(replica) is { State: ReplicaState.Running } found && _projects.TryGetValue(replica.Project.Name, out var state))
        {
            MarkExited(state, found, 143);
        }
    }

    public async Task DeleteAsync(ReplicaId replica, TimeSpan? stopTimeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(replica);
        Interlocked.Increment(ref _deletes);
        await DelayAsync(cancellationToken).ConfigureAwait(false);
        MaybeFail(replica, "delete");
        Remove(replica);
    }

    public Task<HealthStatus> ProbeHealthAsync(ReplicaId replica, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(replica);
        cancellationToken.ThrowIfCancellationRequested();
        var found = Find(replica);
        if (found is null)
        {
            return Task.FromResult(HealthStatus.Unhealthy);
        }

        return Task.FromResult(Health(found, Now));
    }

    public async Task<int> WaitForCompletionAsync(ReplicaId replica, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(replica);
        var found = Find(replica)
            ?? throw new RuntimeException(ProviderName, replica, "cannot wait for completion: the replica does not exist");
        return await found.Exited.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<HookResult> RunHookAsync(ProjectRef project, ServiceSpec service, HookKind kind, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(service);
        var hook = service.Hooks.For(kind) ?? throw new ArgumentException($"service {service.Name} has no {kind} hook", nameof(kind));
        Interlocked.Increment(ref _hooks);
        var started = Now;
        await DelayAsync(cancellationToken).ConfigureAwait(false);
        if (BehaviorOf(service.Name).FailHooks)
        {
            return new HookResult(1, "simulated hook failure", false, Now - started);
        }

        if (Draw() < _options.FailureRate)
        {
            Interlocked.Increment(ref _injectedFailures);
            throw new RuntimeException(ProviderName, project.Name, service.Name, null, "injected hook failure");
        }

        return new HookResult(0, string.Empty, false, Now - started);
    }

    public async IAsyncEnumerable<RuntimeChange> WatchAsync(
        ProjectRef project, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(project);
        var state = _projects.GetOrAdd(project.Name, static _ => new SimulatedProject());
        var channel = Channel.CreateUnbounded<RuntimeChange>(new UnboundedChannelOptions { SingleReader = true });
        lock (state.Gate)
        {
            state.Watchers = state.Watchers.Add(channel);
        }

        try
        {
            await foreach (var change in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return change;
            }
        }
        finally
        {
            lock (state.Gate)
            {
                state.Watchers = state.Watchers.Remove(channel);
            }
        }
    }

    /// <summary>The simulated runtime keeps no output: every replica's log is empty.</summary>
    public IAsyncEnumerable<string> ReadLogsAsync(ReplicaId replica, LogReadOptions options, CancellationToken cancellationToken) =>
        AsyncEnumerable.Empty<string>();

    /// <summary>Simulates a replica crashing (or being stopped by hand): it becomes Exited with <paramref name="exitCode"/>.</summary>
    public bool Crash(ReplicaId replica, int exitCode = 137)
    {
        ArgumentNullException.ThrowIfNull(replica);
        var found = Find(replica);
        if (found is null || !_projects.TryGetValue(replica.Project.Name, out var state))
        {
            return false;
        }

        return MarkExited(state, found, exitCode);
    }

    /// <summary>Simulates a replica removed by hand: it disappears from observation.</summary>
    public bool Remove(ReplicaId replica)
    {
        ArgumentNullException.ThrowIfNull(replica);
        if (!_projects.TryGetValue(replica.Project.Name, out var state))
        {
            return false;
        }

        SimulatedReplica? removed;
        lock (state.Gate)
        {
            if (!state.Replicas.Remove((replica.Service, replica.Replica), out removed))
            {
                return false;
            }
        }

        removed.Exited.TrySetResult(137);
        var missing = removed.ToObserved(HealthStatus.None) with { State = ReplicaState.Missing, ExitCode = null };
        Publish(state, new RuntimeChange(replica.Project.Name, missing, Now));
        return true;
    }

    private DateTimeOffset Now => _options.TimeProvider.GetUtcNow();

    private SimulatedServiceBehavior BehaviorOf(string service) =>
        _options.Services.GetValueOrDefault(service) ?? DefaultBehavior;

    private static readonly SimulatedServiceBehavior DefaultBehavior = new();

    private HealthStatus Health(SimulatedReplica replica, DateTimeOffset now)
    {
        var check = replica.Spec.Service.Healthcheck;
        if (check is null || check.Disabled || check.Test.IsDefaultOrEmpty || check.Test[0] == "NONE")
        {
            return HealthStatus.None;
        }

        if (replica.State != ReplicaState.Running)
        {
            return HealthStatus.Unhealthy;
        }

        if (now - replica.CreatedAt < _options.HealthDelay)
        {
            return HealthStatus.Starting;
        }

        return BehaviorOf(replica.Spec.Service.Name).NeverHealthy ? HealthStatus.Unhealthy : HealthStatus.Healthy;
    }

    private SimulatedReplica? Find(ReplicaId replica)
    {
        if (!_projects.TryGetValue(replica.Project.Name, out var state))
        {
            return null;
        }

        lock (state.Gate)
        {
            return state.Replicas.GetValueOrDefault((replica.Service, replica.Replica));
        }
    }

    private void ScheduleExit(SimulatedProject state, SimulatedReplica replica, SimulatedServiceBehavior behavior)
    {
        if (behavior.ExitAfter is not { } after)
        {
            return;
        }

        var timer = _options.TimeProvider.CreateTimer(
            _ => MarkExited(state, replica, behavior.ExitCode), null, after, Timeout.InfiniteTimeSpan);
        replica.Exited.Task.ContinueWith(_ => timer.Dispose(), TaskScheduler.Default);
    }

    private bool MarkExited(SimulatedProject state, SimulatedReplica replica, int exitCode)
    {
        lock (state.Gate)
        {
            if (replica.State != ReplicaState.Running)
            {
                return false;
            }

            replica.State = ReplicaState.Exited;
            replica.ExitCode = exitCode;
        }

        replica.Exited.TrySetResult(exitCode);
        Publish(state, replica, HealthStatus.None);
        return true;
    }

    private void Publish(SimulatedProject state, SimulatedReplica replica, HealthStatus health) =>
        Publish(state, new RuntimeChange(replica.Spec.Project.Name, replica.ToObserved(health), Now));

    private static void Publish(SimulatedProject state, RuntimeChange change)
    {
        ImmutableList<Channel<RuntimeChange>> watchers;
        lock (state.Gate)
        {
            watchers = state.Watchers;
        }

        foreach (var watcher in watchers)
        {
            watcher.Writer.TryWrite(change);
        }
    }

    private Task DelayAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (_options.Latency == TimeSpan.Zero && _options.LatencyJitter == TimeSpan.Zero)
        {
            return Task.CompletedTask;
        }

        var delay = _options.Latency + (_options.LatencyJitter * Draw());
        return Task.Delay(delay, _options.TimeProvider, cancellationToken);
    }

    private void MaybeFail(ReplicaId replica, string operation)
    {
        if (_options.FailureRate > 0 && Draw() < _options.FailureRate)
        {
            Interlocked.Increment(ref _injectedFailures);
            throw new RuntimeException(ProviderName, replica, $"injected {operation} failure");
        }
    }

    private double Draw()
    {
        lock (_randomGate)
        {
            return _random.NextDouble();
        }
    }
}
