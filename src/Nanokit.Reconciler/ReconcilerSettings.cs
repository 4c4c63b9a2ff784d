using Akka.Configuration;
using Nanokit.Reconciler.Hosting;

namespace Nanokit.Reconciler;

/// <summary>How the reconciler retries and watches: hocon/reconciler.conf (<c>nanokit.reconciler</c>), where each key is documented.</summary>
public sealed record ReconcilerSettings
{
    /// <summary>hocon/reconciler.conf as shipped; commands change what they need with <c>with</c>.</summary>
    public static readonly ReconcilerSettings Default = From(NodeConfig.Base.GetConfig("nanokit.reconciler"));

    private ReconcilerSettings()
    {
    }

    /// <summary>Retries of one provider call within a run.</summary>
    public required RetryPolicy ActionRetry { get; init; }

    /// <summary>Delay before a failed run is tried again (level-triggered: the whole project is re-observed).</summary>
    public required RetryPolicy RunRetry { get; init; }

    /// <summary>Whether failed runs are retried automatically (a long-lived node or <c>up --watch</c>; a one-shot <c>up</c> reports instead).</summary>
    public bool RetryFailedRuns { get; init; }

    /// <summary>
    /// Whether a project that recovers with a generation not yet converged resumes its run at once (a node,
    /// <c>up</c>, <c>down</c>). Off for commands that only look (<c>drift</c> without <c>--heal</c>, <c>state export</c>).
    /// </summary>
    public bool ResumeOnRecovery { get; init; }

    /// <summary>Whether the drift timer runs (a long-lived node or <c>up --watch</c>).</summary>
    public bool DriftTimer { get; init; }

    /// <summary>Fraction of the drift interval by which each tick is moved at random, so many projects don't observe in lockstep.</summary>
    public double DriftJitter { get; init; }

    /// <summary>Runtime changes closer together than this are folded into one re-observation.</summary>
    public TimeSpan ChangeDebounce { get; init; }

    /// <summary>Pause before a failed runtime change stream is opened again.</summary>
    public TimeSpan WatchRestartDelay { get; init; }

    /// <summary>
    /// Events a project persists between two snapshots of its state; after each snapshot the events it covers
    /// and the older snapshots are deleted, so a project's journal holds at most this many events (twice as many
    /// while a snapshot or its deletion did not happen). 0: never.
    /// </summary>
    public int SnapshotEvery
    {
        get;
        init => field = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(SnapshotEvery), value, "snapshot-every must be 0 (off) or more");
    }

    /// <summary>The settings in a <c>nanokit.reconciler</c> block; a missing or malformed key throws, naming it.</summary>
    public static ReconcilerSettings From(Config config)
    {
        RetryPolicy Retry(string block, int maxAttempts) => new(
            Duration($"{block}.base"),
            Duration($"{block}.max"),
            Fraction($"{block}.jitter"),
            maxAttempts);

        TimeSpan Duration(string key) => Read(key, () => config.GetTimeSpan(key, null, allowInfinite: false)) is var d && d > TimeSpan.Zero
            ? d
            : throw new ConfigurationException($"nanokit.reconciler.{key} must be a positive duration");

        double Fraction(string key) => Read(key, () => config.GetDouble(key)) is var f and >= 0 and <= 1
            ? f
            : throw new ConfigurationException($"nanokit.reconciler.{key} must be a fraction from 0 to 1");

        T Read<T>(string key, Func<T> read) => config.HasPath(key)
            ? read()
            : throw new ConfigurationException($"nanokit.reconciler.{key} is missing");

        var attempts = Read("action-retry.max-attempts", () => config.GetInt("action-retry.max-attempts"));
        return new ReconcilerSettings
        {
            ActionRetry = Retry("action-retry", attempts >= 1 ? attempts : throw new ConfigurationException("nanokit.reconciler.action-retry.max-attempts must be 1 or more"))
                with { OutageTolerance = Duration("action-retry.outage-tolerance") },
            RunRetry = Retry("run-retry", int.MaxValue),
            ResumeOnRecovery = Read("resume-on-recovery", () => config.GetBoolean("resume-on-recovery")),
            RetryFailedRuns = Read("retry-failed-runs", () => config.GetBoolean("retry-failed-runs")),
            DriftTimer = Read("drift-timer", () => config.GetBoolean("drift-timer")),
            DriftJitter = Fraction("drift-jitter"),
            ChangeDebounce = Duration("change-debounce"),
            WatchRestartDelay = Duration("watch-restart-delay"),
            SnapshotEvery = Read("snapshot-every", () => config.GetInt("snapshot-every")),
        };
    }
}
