using System.Collections.Immutable;
using System.Text.Json;
using Nanokit.Core.Model;
using Nanokit.Persistence.Serialization;

namespace Nanokit.Reconciler;

/// <summary>A project's intent changed: generation <paramref name="Generation"/> wants <paramref name="Spec"/> (null: nothing, after <c>down</c>).</summary>
public sealed record GenerationAccepted(long Generation, ProjectSpec? Spec, ImmutableArray<string> Services, bool? RemoveOrphans, DateTimeOffset At);

/// <summary>A run of a generation ended.</summary>
public sealed record RunRecorded(long Generation, RunTrigger Trigger, bool Succeeded, ImmutableArray<ServiceFailure> Failures, DateTimeOffset At);

/// <summary>
/// A project's state folded from its events up to a sequence number: the accepted intent, the newest generation a
/// run converged, and the last run. Recovery starts from it; the events it covers are deleted.
/// </summary>
public sealed record ProjectSnapshot(GenerationAccepted Intent, long ObservedGeneration, RunRecorded? LastRun);

/// <summary>A service actor began the actions of a run.</summary>
public sealed record ServiceActionsStarted(long Generation, ImmutableArray<string> Actions, DateTimeOffset At);

/// <summary>A service's actions of a run all succeeded and it reached its readiness condition.</summary>
public sealed record ServiceActionsSucceeded(long Generation, DateTimeOffset At);

/// <summary>A service's actions of a run failed after their retries.</summary>
public sealed record ServiceActionsFailed(long Generation, string Reason, DateTimeOffset At);

/// <summary>The stable manifest names of the reconciler's events and snapshots; renaming a type never breaks a journal.</summary>
public static class ReconcilerEvents
{
    public static EventRegistry Register(EventRegistry registry) => registry
        .Register<GenerationAccepted>("nanokit.project.generation-accepted.v1")
        .Register<RunRecorded>("nanokit.project.run-recorded.v1")
        .Register<ProjectSnapshot>("nanokit.project.snapshot.v1")
        .Register<ServiceActionsStarted>("nanokit.service.actions-started.v1")
        .Register<ServiceActionsSucceeded>("nanokit.service.actions-succeeded.v1")
        .Register<ServiceActionsFailed>("nanokit.service.actions-failed.v1");

    public static EventRegistry CreateRegistry() =>
        Register(EventRegistry.Create(new JsonSerializerOptions(JsonSerializerDefaults.Web)));
}
