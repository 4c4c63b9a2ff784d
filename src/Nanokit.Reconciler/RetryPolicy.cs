namespace Nanokit.Reconciler;

/// <summary>
/// Exponential backoff with jitter and a cap, per item (a service's action, a project's run):
/// delay(n) = min(Max, Base * 2^(n-1)) scaled by a random factor in [1 - Jitter, 1 + Jitter].
/// </summary>
public sealed record RetryPolicy(TimeSpan Base, TimeSpan Max, double Jitter, int MaxAttempts)
{
    /// <summary>
    /// How long a call keeps being retried while the platform cannot be reached at all (a transient failure: a Docker
    /// daemon restarting), counted from the first failure; <see cref="MaxAttempts"/> still applies when it is longer.
    /// Zero unless set: hocon/reconciler.conf sets it for provider calls (<c>action-retry.outage-tolerance</c>).
    /// </summary>
    public TimeSpan OutageTolerance { get; init; }

    /// <summary>Whether attempt <paramref name="attempt"/> (1-based), which failed <paramref name="elapsed"/> after the first failure, gets another.</summary>
    public bool ShouldRetry(int attempt, bool transient, TimeSpan elapsed) =>
        attempt < MaxAttempts || (transient && elapsed < OutageTolerance);

    /// <summary>The wait before attempt <paramref name="attempt"/> + 1, after <paramref name="attempt"/> failures (1-based).</summary>
    public TimeSpan DelayAfter(int attempt, Random random)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(attempt, 1);
        var exponential = Base.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 30));
        var capped = Math.Min(exponential, Max.TotalMilliseconds);
        var factor = 1 + Jitter * (2 * random.NextDouble() - 1);
        return TimeSpan.FromMilliseconds(Math.Min(capped * factor, Max.TotalMilliseconds));
    }
}
