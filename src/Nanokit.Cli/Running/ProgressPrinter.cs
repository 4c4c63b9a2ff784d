using Nanokit.Core.Plan;
using Nanokit.Reconciler;

namespace Nanokit.Cli.Running;

/// <summary>
/// Prints a run as it happens, one line per step with the time since the command started (what the user waited),
/// then a summary. Plain lines work the same in a terminal, a pipe and a CI log, and every line can be grepped.
/// A heal or a retry (<c>up --watch</c>) reports its own duration instead: the command has been waiting for no one.
/// </summary>
/// <param name="nothingToDo">
/// What a run without changes means to the command (<c>down</c>: nothing to remove), said in one line in place of the
/// run's header and summary; null prints such a run as any other.
/// </param>
internal sealed class ProgressPrinter(TextWriter output, int nameWidth, Func<TimeSpan> sinceStart, string? nothingToDo = null)
{
    private long? quiet;

    public void Started(RunStarted started)
    {
        if (nothingToDo is not null && !started.Plan.HasChanges)
        {
            quiet = started.Generation;
            output.WriteLine($"{started.Project}: {nothingToDo}");
            return;
        }

        output.WriteLine($"{started.Project}: generation {started.Generation} ({Trigger(started.Trigger)}): {Summary(started.Plan)}");
        foreach (var layer in started.Plan.Layers)
        {
            var work = layer.Actions.Where(a => a.Action != ActionType.NoOp).ToList();
            if (work.Count > 0)
            {
                output.WriteLine($"  layer {layer.Index}: {string.Join(", ", work.Select(a => $"{PlanJsonRenderer.Verb(a.Action)} {a.Service}[{a.Replica}]"))}");
            }
        }
    }

    public void Progress(ServiceProgress progress) =>
        output.WriteLine($"[{sinceStart().TotalSeconds,6:0.0}s] {progress.Service.PadRight(nameWidth)} {Phase(progress.Phase),-9} {progress.Message}");

    public void Completed(RunCompleted completed)
    {
        var took = completed.Trigger is RunTrigger.Drift or RunTrigger.Retry ? completed.Result.Duration : sinceStart();
        if (completed.Result.Succeeded && quiet == completed.Generation)
        {
            return;
        }

        if (completed.Result.Succeeded)
        {
            output.WriteLine($"{completed.Project}: generation {completed.Generation} converged in {took.TotalSeconds:0.0}s");
            return;
        }

        output.WriteLine($"{completed.Project}: generation {completed.Generation} failed after {took.TotalSeconds:0.0}s:");
        foreach (var failure in completed.Result.Failures)
        {
            output.WriteLine($"  {failure.Service}: {failure.Reason}");
        }
    }

    public void Drifted(DriftReport drift)
    {
        output.WriteLine($"{drift.Project}: drift found, not healing (drift.heal is false): {Summary(drift.Plan)}");
        output.WriteLine(drift.Plan.ToString());
    }

    private static string Summary(ServicePlan plan) =>
        plan.HasChanges ? $"{plan.Summary.Add} to add, {plan.Summary.Change} to change, {plan.Summary.Destroy} to destroy" : "no changes";


    private static string Trigger(RunTrigger trigger) => trigger switch
    {
        RunTrigger.Spec => "apply",
        RunTrigger.Resume => "resuming after a restart",
        RunTrigger.Drift => "healing drift",
        RunTrigger.Retry => "retrying",
        RunTrigger.Reapply => "unchanged, checked again",
        _ => trigger.ToString(),
    };

    private static string Phase(ServicePhase phase) => phase.ToString().ToLowerInvariant();
}
