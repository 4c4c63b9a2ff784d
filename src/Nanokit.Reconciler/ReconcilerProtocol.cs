using System.Collections.Immutable;
using Nanokit.Core.Model;
using Nanokit.Core.Plan;
using Nanokit.Runtime;

namespace Nanokit.Reconciler;

/// <summary>
/// Make the project match <paramref name="Spec"/>: a new generation, unless it equals the accepted intent.
/// Replied with <see cref="SpecAccepted"/> once durable.
/// </summary>
public sealed record ApplySpec(ProjectSpec Spec, PlanOptions Options)
{
    /// <summary>
    /// A saved plan's check-index: the run acts only if what it observes still has this <see cref="ObservedStateHash"/>,
    /// and otherwise fails before any action, naming nothing it did. Null: no check.
    /// </summary>
    public string? ExpectedObserved { get; init; }
}

/// <summary>
/// Remove every replica the runtime holds for the project, dependents first (<c>nkapp down</c>): a new generation
/// with nothing desired. The order comes from the definitions the replicas were created from, so it holds even
/// for services no longer in the file, and after a crash.
/// </summary>
public sealed record DestroyProject
{
    public static readonly DestroyProject Instance = new();

    /// <summary>See <see cref="GenerationAccepted.StopTimeout"/> (<c>down -t</c>).</summary>
    public TimeSpan? StopTimeout { get; init; }
}

/// <summary>
/// Make the project match an intent stored elsewhere (the control plane's PostgreSQL) under <paramref name="Generation"/>:
/// <paramref name="Spec"/>, or nothing (<c>down</c>) when null. Idempotent: a generation the project already accepted
/// is answered with <see cref="SpecAccepted"/> for its current generation and changes nothing, so the same intent may
/// be delivered by a notification and by a sweep.
/// </summary>
public sealed record ApplyIntent(long Generation, ProjectSpec? Spec)
{
    /// <summary>See <see cref="GenerationAccepted.StopTimeout"/> (<c>down -t</c>, <c>stop -t</c>, <c>restart -t</c> through the control plane).</summary>
    public TimeSpan? StopTimeout { get; init; }

    /// <summary>See <see cref="GenerationAccepted.Stopped"/> (<c>stop</c> through the control plane).</summary>
    public ImmutableArray<string> Stopped { get; init; } = [];

    /// <summary>See <see cref="GenerationAccepted.Restart"/> (<c>restart</c> through the control plane).</summary>
    public ImmutableArray<string> Restart { get; init; } = [];
}

/// <summary>
/// <c>nkapp stop [SERVICE...]</c>: keep these services (every one when empty) of the accepted spec stopped, as intent, so
/// drift does not start them again. Replied with <see cref="SpecAccepted"/> or <see cref="IntentRefused"/>.
/// </summary>
public sealed record StopServices(ImmutableArray<string> Services)
{
    /// <summary>See <see cref="GenerationAccepted.StopTimeout"/> (<c>stop -t</c>).</summary>
    public TimeSpan? StopTimeout { get; init; }
}

/// <summary><c>nkapp start [SERVICE...]</c>: these services (every one when empty) are no longer kept stopped, and exited replicas start.</summary>
public sealed record StartServices(ImmutableArray<string> Services);

/// <summary><c>nkapp restart [SERVICE...]</c>: as <see cref="StartServices"/>, and the running replicas are stopped and started again.</summary>
public sealed record RestartServices(ImmutableArray<string> Services)
{
    /// <summary>See <see cref="GenerationAccepted.StopTimeout"/> (<c>restart -t</c>).</summary>
    public TimeSpan? StopTimeout { get; init; }
}

/// <summary>A request about the accepted intent that cannot be carried out (nothing applied yet, an unknown service); nothing changed.</summary>
public sealed record IntentRefused(string Project, string Reason);

/// <summary>The intent is durable; the run that converges it has started or is queued.</summary>
public sealed record SpecAccepted(string Project, long Generation)
{
    /// <summary>The spec equals the accepted intent: no new generation; the run of <see cref="Generation"/> in flight, or a fresh one, converges it.</summary>
    public bool Unchanged { get; init; }
}

/// <summary>Re-observe now and report (or heal, when <paramref name="Heal"/>) the differences; replied with <see cref="DriftReport"/>.</summary>
public sealed record CheckDrift(bool Heal);

/// <summary>
/// What a drift check found: the plan that would make the runtime match the spec again. The reply to
/// <see cref="CheckDrift"/>; also published on the event stream when drift is found and not healed.
/// </summary>
/// <param name="Failure">Why the check could not be made (the runtime could not be observed); the plan is then empty.</param>
public sealed record DriftReport(string Project, ServicePlan Plan, bool Healing, string? Failure = null);

public sealed record GetProjectStatus
{
    public static readonly GetProjectStatus Instance = new();
}

public sealed record CurrentProjectStatus(ProjectStatus Status);

/// <summary>
/// Published on the event stream when the project's intent is durable, and once after recovery: what is applied, for a
/// host that keeps a read model of it beside the journal (the CLI's, read by commands that take no lock).
/// </summary>
public sealed record IntentAccepted(string Project, GenerationAccepted Intent);

/// <summary>
/// Published on the event stream when a project's restart counts changed, and once after recovery: the counts of every
/// replica, for a host that keeps a read model beside the journal (the CLI's, so that <c>status</c> and <c>plan</c> say
/// why a replica is not brought back).
/// </summary>
public sealed record RestartsCounted(string Project, ImmutableArray<RestartCount> Counts);

/// <summary>
/// Published on the event stream once after recovery: the project's status as its journal has it, with no run in
/// flight. A run of the previous incarnation that was interrupted (a shard handed off, the entity stopped) announced
/// its start but will never announce an end; a read model built from the run events takes this as their end.
/// </summary>
public sealed record ProjectRecovered(string Project, ProjectStatus Status);

/// <summary>Published on the event stream when a run has planned its work.</summary>
public sealed record RunStarted(string Project, long Generation, RunTrigger Trigger, ServicePlan Plan);

/// <summary>Published on the event stream as each service moves through its actions.</summary>
public sealed record ServiceProgress(string Project, long Generation, string Service, ServicePhase Phase, string Message, TimeSpan Elapsed);

/// <summary>Published on the event stream when a run ends, successfully or not.</summary>
public sealed record RunCompleted(string Project, long Generation, RunTrigger Trigger, RunResult Result);

public enum RunTrigger
{
    /// <summary>A new generation was accepted.</summary>
    Spec,

    /// <summary>The node restarted with a generation not yet converged.</summary>
    Resume,

    /// <summary>The drift timer or a runtime change found a difference and heals it.</summary>
    Drift,

    /// <summary>A failed run is tried again after its backoff.</summary>
    Retry,

    /// <summary><c>up</c> with the spec already applied: the same generation is observed and converged again (appended: runs are persisted by number).</summary>
    Reapply,
}

public enum ServicePhase
{
    Queued,
    Prestart,
    Applying,
    Waiting,
    Poststart,
    Prestop,
    Deleting,
    Retrying,
    Succeeded,
    Failed,
    Blocked,
    Stopping,
}

public sealed record ServiceFailure(string Service, string Reason);

public sealed record RunResult(bool Succeeded, ImmutableArray<ServiceFailure> Failures, TimeSpan Duration)
{
    public static RunResult Success(TimeSpan duration) => new(true, [], duration);
}

/// <summary>Supervisor → service actor: carry out this service's actions of one layer, then wait until it is <paramref name="Readiness"/>.</summary>
internal sealed record ExecuteService(
    long Generation,
    ProjectRef Project,
    string Service,
    ServiceSpec? Spec,
    ImmutableArray<PlanAction> Actions,
    DependencyCondition Readiness,
    System.Diagnostics.ActivityContext Parent,
    CancellationToken Cancellation)
{
    /// <summary>The grace period each stop and removal gives a replica (<see cref="GenerationAccepted.StopTimeout"/>); null: its stop_grace_period.</summary>
    public TimeSpan? StopTimeout { get; init; }
}

internal sealed record ServiceSucceeded(long Generation, string Service);

internal sealed record ServiceFailed(long Generation, string Service, string Reason);

/// <summary>Supervisor → project actor: the run of <paramref name="Generation"/> is over.</summary>
internal sealed record RunFinished(long Generation, RunTrigger Trigger, RunResult Result);

/// <summary>Supervisor → project actor: a drift check's plan (the run stops there unless it heals).</summary>
internal sealed record DriftObserved(ServicePlan Plan, bool Healing);

/// <summary>Drift timer → project actor: time (or a runtime change) to re-observe.</summary>
internal sealed record DriftTick(string Reason);

/// <summary>The drift timer's change stream is open: changes from now on reach it (see <see cref="DriftTimer"/>).</summary>
internal sealed record ChangeStreamOpened
{
    public static readonly ChangeStreamOpened Instance = new();
}

/// <summary>Asks a service actor to answer <see cref="Settled"/> once the work queued before this message is done.</summary>
internal sealed record Settle
{
    public static readonly Settle Instance = new();
}

internal sealed record Settled
{
    public static readonly Settled Instance = new();
}

/// <summary>
/// Published on the event stream when a persistent actor of <paramref name="Project"/> could not write to or read
/// from its store (a full disk, a read-only directory, a damaged file). The actor has stopped: a storage failure
/// is final for the process, never retried in a loop.
/// </summary>
public sealed record StorageFailed(string Project, string PersistenceId, string Reason);
