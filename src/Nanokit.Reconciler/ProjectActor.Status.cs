using System.Collections.Immutable;

namespace Nanokit.Reconciler;

/// <summary>Status is derived, never stored: generation, observed generation and the last run and drift check.</summary>
internal sealed partial class ProjectActor
{
    private ProjectStatus Status()
    {
        var now = DateTimeOffset.UtcNow;
        var failures = lastRun is { Succeeded: false } run ? run.Failures : [];
        var progressing = supervisor is not null && running?.Drift is null;
        var converged = intent is not null && observedGeneration == generation && failures.IsEmpty;
        var conditions = ImmutableArray.Create(
            new Condition(
                "Ready",
                converged && lastDrift is null && !progressing,
                converged ? (lastDrift is null ? "Converged" : "Drifted") : progressing ? "Reconciling" : failures.IsEmpty ? "Pending" : "RunFailed",
                converged ? $"generation {generation} applied" : $"generation {generation} not yet applied (observed {observedGeneration})",
                lastRun?.At ?? intent?.At ?? now),
            new Condition(
                "Progressing",
                progressing,
                progressing ? "Reconciling" : "Idle",
                progressing ? $"run of generation {running!.Generation} ({running.Trigger})" : "no run in flight",
                intent?.At ?? now),
            new Condition(
                "Degraded",
                !failures.IsEmpty,
                failures.IsEmpty ? "AsExpected" : "ServiceFailed",
                string.Join("; ", failures.Select(f => $"{f.Service}: {f.Reason}")),
                lastRun?.At ?? now),
            new Condition(
                "Drifted",
                lastDrift is not null,
                lastDrift is null ? "InSync" : "ManualChange",
                lastDrift is null ? "" : lastDrift.Plan.Summary.ToString(),
                now));
        return new ProjectStatus(name, generation, observedGeneration, supervisor is not null, conditions, failures);
    }
}
