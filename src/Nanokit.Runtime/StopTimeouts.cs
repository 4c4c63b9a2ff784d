namespace Nanokit.Runtime;

/// <summary>
/// The grace period a command gives each replica it stops in place of its stop_grace_period (<c>down -t</c>,
/// <c>stop -t</c>; the API's <c>stop_timeout_seconds</c>), checked in this one place by the CLI and the server.
/// </summary>
public static class StopTimeouts
{
    /// <summary>
    /// The longest accepted: one day. A longer one is a slip of the keyboard rather than a wish (<c>-t 86400000</c>), and
    /// past 24.8 days the runtimes' own timers cannot count it (Docker takes whole seconds in an int; .NET delays, int milliseconds).
    /// </summary>
    public static readonly TimeSpan Longest = TimeSpan.FromDays(1);

    /// <summary>Why <paramref name="seconds"/> cannot be a stop timeout, or null when it can.</summary>
    public static string? Check(double seconds) =>
        !double.IsFinite(seconds) ? "a stop timeout must be a finite number of seconds"
        : seconds < 0 ? "a stop timeout cannot be negative"
        : seconds > Longest.TotalSeconds ? "a stop timeout cannot be longer than a day (24h)"
        : null;
}
