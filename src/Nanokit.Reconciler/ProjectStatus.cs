using System.Collections.Immutable;

namespace Nanokit.Reconciler;

/// <summary>
/// A project's status, derived from its events as Kubernetes derives <c>status</c>: the generation asked
/// for, the last one fully converged, and conditions with reason and message.
/// </summary>
public sealed record ProjectStatus(
    string Project,
    long Generation,
    long ObservedGeneration,
    bool Running,
    ImmutableArray<Condition> Conditions,
    ImmutableArray<ServiceFailure> Failures);

/// <summary>One condition: <c>Ready</c>, <c>Progressing</c>, <c>Degraded</c> or <c>Drifted</c>.</summary>
public sealed record Condition(string Type, bool Status, string Reason, string Message, DateTimeOffset Since);
