namespace Nanokit.Actors.Supervision;

/// <summary>
/// How a <see cref="BackoffSupervisor"/> recreates its child: after
/// <c>min(maxBackoff, minBackoff × 2^restarts) × (1 + random × randomFactor)</c>, the restart
/// count going back to zero once the child has run for <see cref="ResetBackoff"/>.
/// </summary>
public sealed record BackoffOptions
{
    private BackoffOptions(bool onFailure, Props childProps, string childName, TimeSpan minBackoff, TimeSpan maxBackoff, double randomFactor)
    {
        if (minBackoff <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(minBackoff), "minBackoff must be positive.");
        }

        if (maxBackoff < minBackoff)
        {
            throw new ArgumentOutOfRangeException(nameof(maxBackoff), "maxBackoff must be at least minBackoff.");
        }

        if (randomFactor is < 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(randomFactor), "randomFactor must be within [0, 1].");
        }

        IsOnFailure = onFailure;
        ChildProps = childProps;
        ChildName = childName;
        MinBackoff = minBackoff;
        MaxBackoff = maxBackoff;
        RandomFactor = randomFactor;
        ResetBackoff = minBackoff;
    }

    /// <summary>True: restart the child when it fails; false: when it stops.</summary>
    public bool IsOnFailure { get; }

    public Props ChildProps { get; }

    public string ChildName { get; }

    public TimeSpan MinBackoff { get; }

    public TimeSpan MaxBackoff { get; }

    public double RandomFactor { get; }

    /// <summary>After the child has run this long without restarting, the next restart waits minBackoff again.</summary>
    public TimeSpan ResetBackoff { get; init; }

    /// <summary>Restarts before the supervisor gives up and stops (negative: unlimited).</summary>
    public int MaxNrOfRetries { get; init; } = -1;

    /// <summary>Decides on the child's failures (OnFailure: Restart means restart after a backoff).</summary>
    public Func<Exception, Directive> Decider { get; init; } = SupervisorStrategy.DefaultDecider;

    /// <summary>Recreates the child, after a growing delay, whenever it stops (failures restart it at once).</summary>
    public static BackoffOptions OnStop(Props childProps, string childName, TimeSpan minBackoff, TimeSpan maxBackoff, double randomFactor) =>
        new(false, childProps, childName, minBackoff, maxBackoff, randomFactor);

    /// <summary>Recreates the child, after a growing delay, whenever it fails; it stopping on its own stops the supervisor.</summary>
    public static BackoffOptions OnFailure(Props childProps, string childName, TimeSpan minBackoff, TimeSpan maxBackoff, double randomFactor) =>
        new(true, childProps, childName, minBackoff, maxBackoff, randomFactor);

    public BackoffOptions WithAutoReset(TimeSpan resetBackoff) => this with { ResetBackoff = resetBackoff };

    public BackoffOptions WithMaxNrOfRetries(int maxNrOfRetries) => this with { MaxNrOfRetries = maxNrOfRetries };

    public BackoffOptions WithDecider(Func<Exception, Directive> decider) => this with { Decider = decider };

    internal TimeSpan Delay(int restartCount, double random)
    {
        if (restartCount >= 30)
        {
            return MaxBackoff;
        }

        var calculated = MinBackoff.TotalMilliseconds * Math.Pow(2, restartCount) * (1 + (random * RandomFactor));
        return double.IsFinite(calculated) && calculated < MaxBackoff.TotalMilliseconds
            ? TimeSpan.FromMilliseconds(calculated)
            : MaxBackoff;
    }
}
