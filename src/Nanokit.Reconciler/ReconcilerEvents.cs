using System.Collections.Immutable;
using Nanokit.Core.Model;
using Nanokit.Core.Plan;
using Nanokit.Reconciler.Persistence;

namespace Nanokit.Reconciler;

/// <summary>A project's intent changed: generation <paramref name="Generation"/> wants <paramref name="Spec"/> (null: nothing, after <c>down</c>).</summary>
public sealed record GenerationAccepted(long Generation, ProjectSpec? Spec, ImmutableArray<string> Services, bool? RemoveOrphans, DateTimeOffset At) : IPersistedState
{
    /// <summary>
    /// Services kept stopped by <c>nkapp stop</c> until <c>start</c>, <c>restart</c> or <c>up</c> (part of the desired
    /// state, so drift does not undo a deliberate stop). Absent from events written before it existed: none stopped.
    /// </summary>
    public ImmutableArray<string> Stopped { get; init; } = [];

    /// <summary>With <see cref="Services"/>: those services alone, not their dependencies (<c>up --no-deps</c>).</summary>
    public bool NoDeps { get; init; }

    /// <summary>Services <c>nkapp restart</c> asked to restart: done by this generation's run, not part of the desired state.</summary>
    public ImmutableArray<string> Restart { get; init; } = [];

    /// <summary>
    /// How long each replica this generation's runs stop or remove is given between SIGTERM and SIGKILL, in place of its
    /// stop_grace_period (<c>down -t</c>, <c>stop -t</c>, <c>restart -t</c>, as Compose's <c>-t</c>); null: its own. Kept
    /// with the generation, so a run resumed after a crash stops as the command asked. Absent from older events: null.
    /// </summary>
    public TimeSpan? StopTimeout { get; init; }
}

/// <summary>A run of a generation ended.</summary>
public sealed record RunRecorded(long Generation, RunTrigger Trigger, bool Succeeded, ImmutableArray<ServiceFailure> Failures, DateTimeOffset At) : IPersistedState;

/// <summary>
/// A project's state folded from its events up to a sequence number: the accepted intent, the newest generation a
/// run converged, and the last run. Recovery starts from it; the events it covers are deleted.
/// </summary>
public sealed record ProjectSnapshot(GenerationAccepted Intent, long ObservedGeneration, RunRecorded? LastRun) : IPersistedState
{
    /// <summary>The replicas' restart counts (<see cref="ReplicaRestartsCounted"/>); absent from snapshots written before them: none.</summary>
    public ImmutableArray<RestartCount> RestartCounts { get; init; } = [];
}

/// <summary>
/// A run is about to start exited replicas of <paramref name="Service"/> again, or to create, recreate or delete some:
/// each count in <paramref name="Counts"/> is the replica's new count for its definition (0: forgotten, for a replica
/// made anew). Persisted by the project before the service's actions run, so a bound such as <c>on-failure:3</c>
/// holds across restarts of nkapp.
/// </summary>
public sealed record ReplicaRestartsCounted(string Service, ImmutableArray<RestartCount> Counts, DateTimeOffset At) : IPersistedState;

/// <summary>A service's actions of a run (listed in <paramref name="Actions"/>) all succeeded and it reached its readiness condition.</summary>
public sealed record ServiceActionsSucceeded(long Generation, ImmutableArray<string> Actions, DateTimeOffset At) : IPersistedState;

/// <summary>A service's actions of a run failed after their retries (a service persists only how its runs ended: that is all recovery needs).</summary>
public sealed record ServiceActionsFailed(long Generation, ImmutableArray<string> Actions, string Reason, DateTimeOffset At) : IPersistedState;
