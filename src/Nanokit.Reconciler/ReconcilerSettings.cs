namespace Nanokit.Reconciler;

/// <summary>How the reconciler retries and watches; defaults documented in hocon/reconciler.conf.</summary>
public sealed record ReconcilerSettings
{
    public static readonly ReconcilerSettings Default = new();

    /// <summary>Retries of one provider call within a run.</summary>
    public RetryPolicy ActionRetry { get; init; } = RetryPolicy.Default;

    /// <summary>Delay before a failed run is tried again (level-triggered: the whole project is re-observed).</summary>
    public RetryPolicy RunRetry { get; init; } = RetryPolicy.Default with { MaxAttempts = int.MaxValue };

    /// <summary>Whether failed runs are retried automatically (a long-lived node or <c>up --watch</c>; a one-shot <c>up</c> reports instead).</summary>
    public bool RetryFailedRuns { get; init; }

    /// <summary>
    /// Whether a project that recovers with a generation not yet converged resumes its run at once (a node,
    /// <c>up</c>, <c>down</c>). Off for commands that only look (<c>drift</c> without <c>--heal</c>, <c>state export</c>).
    /// </summary>
    public bool ResumeOnRecovery { get; init; } = true;

    /// <summary>Whether the drift timer runs (a long-lived node or <c>up --watch</c>).</summary>
    public bool DriftTimer { get; init; }

    /// <summary>Fraction of the drift interval by which each tick is moved at random, so many projects don't observe in lockstep.</summary>
    public double DriftJitter { get; init; } = 0.1;

    /// <summary>Runtime changes closer together than this are folded into one re-observation.</summary>
    public TimeSpan ChangeDebounce { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Pause before a failed runtime change stream is opened again.</summary>
    public TimeSpan WatchRestartDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Events a project persists between two snapshots of its state; after each snapshot the events it covers
    /// and the older snapshots are deleted, so a project's journal holds at most this many events (twice as many
    /// while a snapshot or its deletion did not happen). 0: never.
    /// </summary>
    public int SnapshotEvery
    {
        get;
        init => field = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(SnapshotEvery), value, "snapshot-every must be 0 (off) or more");
    } = 50;
}
