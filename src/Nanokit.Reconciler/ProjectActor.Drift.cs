using Akka.Actor;
using Nanokit.Core.Plan;

namespace Nanokit.Reconciler;

/// <summary>
/// Drift: the drift timer's ticks and change events, the checks callers ask for (queued while a run is in flight),
/// and heals, held back with growing delays while they keep following each other.
/// </summary>
internal sealed partial class ProjectActor
{
    private void Drifted(DriftObserved message)
    {
        if (message.Plan.HasChanges)
        {
            ReconcilerTelemetry.Drifts.Add(1);
        }

        if (message.Healing)
        {
            healStartedAt ??= checkStartedAt;
            consecutiveHeals++;
            lastHeal = DateTimeOffset.UtcNow;
        }
        else if (!message.Plan.HasChanges && OutlivedLastWait())
        {
            consecutiveHeals = 0;
        }

        driftReported = true;
        lastDrift = message.Plan.HasChanges && !message.Healing ? message : null;
        if (lastDrift is not null)
        {
            Context.System.EventStream.Publish(new DriftReport(name, message.Plan, Healing: false));
        }

        AnswerDriftWaiters(new DriftReport(name, message.Plan, message.Healing));
        if (!message.Healing)
        {
            // A report-only check ends here: the supervisor stops without a run to record.
            Context.Unwatch(supervisor!);
            supervisor = null;
            running = null;
            RunQueuedDriftCheck();
        }
    }

    /// <summary>
    /// A drift tick, held back while heals keep following each other: a service that exits right after every
    /// restart is restarted after 1 s, 2 s, 4 s... (the run retry policy), not on every change event. A tick that
    /// comes while a run is in flight waits for its end and then for the same delay: a replica that exits while its
    /// heal is still running must not be healed again the moment that run ends. A check that finds nothing to heal
    /// resets the count once the last heal is older than the wait it earned (as Docker resets its restart delay only
    /// after a container ran for a while): a crash loop seen running between two crashes keeps its backoff.
    /// </summary>
    private void Tick(DriftTick tick)
    {
        if (supervisor is not null)
        {
            tickDuringRun = tick;
            return;
        }

        if (consecutiveHeals > 0)
        {
            var wait = settings.RunRetry.DelayAfter(consecutiveHeals, Random.Shared) - (DateTimeOffset.UtcNow - lastHeal);
            if (wait > TimeSpan.Zero)
            {
                Timers.StartSingleTimer(HealBackoff.Instance, tick, wait);
                return;
            }
        }

        CheckDrift(null);
    }

    /// <summary>A tick (mode null: heal as the spec says) or a request; queued while a run is in flight.</summary>
    private void CheckDrift(DriftCheckMode? mode)
    {
        if (intent is null)
        {
            AnswerDriftWaiters(new DriftReport(name, new ServicePlan(name, []), false));
            return;
        }

        // After `down` nothing is desired, so anything still running is drift.
        mode ??= new DriftCheckMode(intent.Spec?.Drift.Heal ?? true);
        if (supervisor is not null)
        {
            queuedDriftCheck = queuedDriftCheck is null ? mode : new DriftCheckMode(queuedDriftCheck.Heal || mode.Heal);
            return;
        }

        StartRun(RunTrigger.Drift, mode);
    }

    /// <summary>
    /// A run that started before the drift timer's change stream opened may have left a replica that exited before
    /// any stream could report it (one exiting milliseconds after its start): look once more, after that run. So does
    /// an incarnation that recovered with nothing to resume (see AfterRecovery): no stream saw what moved before it.
    /// </summary>
    private void StreamOpened()
    {
        streamOpen = true;
        if (lookWhenStreamOpens)
        {
            lookWhenStreamOpens = false;
            CheckDrift(null);
        }
    }

    private void AnswerDriftWaiters(DriftReport report)
    {
        foreach (var waiter in driftWaiters)
        {
            waiter.Tell(report, Self);
        }

        driftWaiters.Clear();
    }

    private void RunQueuedDriftCheck()
    {
        if (supervisor is not null)
        {
            return;
        }

        if (queuedDriftCheck is { } queued)
        {
            // A check someone asked for (or one a run interrupted) is owed an answer now.
            queuedDriftCheck = null;
            tickDuringRun = null;
            StartRun(RunTrigger.Drift, queued);
        }
        else if (tickDuringRun is { } tick)
        {
            tickDuringRun = null;
            Tick(tick);
        }
    }

    private bool OutlivedLastWait() =>
        consecutiveHeals == 0 || DateTimeOffset.UtcNow - lastHeal >= (settings.RunRetry with { Jitter = 0 }).DelayAfter(consecutiveHeals, Random.Shared);

    /// <summary>Starts, restarts (new interval) or stops the drift timer to match the intent.</summary>
    private void UpdateDriftTimer()
    {
        var wanted = settings.DriftTimer && intent?.Spec is { } spec && spec.Drift.Interval > TimeSpan.Zero ? intent.Spec.Drift.Interval : (TimeSpan?)null;
        if (wanted == driftInterval)
        {
            return;
        }

        if (driftTimer is not null)
        {
            Context.Stop(driftTimer);
            driftTimer = null;
        }

        driftInterval = wanted;
        if (wanted is { } interval)
        {
            // A fresh name per interval: the old timer may still be stopping.
            streamOpen = false;
            driftTimer = Context.ActorOf(DriftTimer.Props(Ref, provider, interval, settings), "drift-" + (++driftTimers));
        }
    }

    private sealed record HealBackoff
    {
        public static readonly HealBackoff Instance = new();
    }
}
