namespace Nanokit.Server.Intents;

/// <summary>
/// How long this node's intents take to be answered, and so how long an unanswered one waits before it is sent again.
///
/// Design note. A project answers an intent once the generation is in its journal; a new project is started,
/// recovered and remembered first, and under load that takes seconds. A fixed <c>redeliver-after</c> then sends
/// every intent several times (measured: 5 to 10 deliveries per intent at load 15 to 60, each a whole spec over
/// remoting and one more message for the owner to read), and the copies slow the owners that are already late. So
/// the wait follows the answers, as TCP's retransmission timeout follows round trips (RFC 6298): a smoothed mean and
/// deviation of the time from an intent's first send to its answer, and a first wait of mean + 4 × deviation, at
/// least <c>redeliver-after</c> and at most <c>redeliver-after-max</c>; each further wait doubles up to
/// <c>redeliver-max</c>, or the first wait when that is longer. The time is taken from the first send even when the
/// answer followed a copy (unlike TCP's Karn rule): a lost first send then overstates one sample, while discarding
/// those samples would keep only the fast answers and the wait would never grow. A failover does not wait for this:
/// <see cref="IntentDelivery"/> sends every unanswered intent again when a member is removed.
/// </summary>
internal sealed class AnswerTimes(DeliverySettings settings)
{
    // Seconds; no mean before the first answer (the wait is then redeliver-after).
    private double? mean;
    private double deviation;

    /// <summary>The wait before the first copy: mean + 4 × deviation within [redeliver-after, redeliver-after-max].</summary>
    public TimeSpan First => mean is { } m
        ? TimeSpan.FromSeconds(Math.Clamp(m + (4 * deviation), settings.RedeliverAfter.TotalSeconds, settings.RedeliverAfterMax.TotalSeconds))
        : settings.RedeliverAfter;

    /// <summary>Records that an intent first sent <paramref name="took"/> ago was answered.</summary>
    public void Answered(TimeSpan took)
    {
        var sample = took.TotalSeconds;
        if (mean is not { } m)
        {
            mean = sample;
            deviation = sample / 2;
            return;
        }

        deviation = (0.75 * deviation) + (0.25 * Math.Abs(m - sample));
        mean = (0.875 * m) + (0.125 * sample);
    }

    /// <summary>How long to wait after the <paramref name="attempts"/>th send (1: the first) before sending again.</summary>
    public TimeSpan After(int attempts)
    {
        var first = First;
        var longest = Math.Max(settings.RedeliverMax.Ticks, first.Ticks);
        return TimeSpan.FromTicks(Math.Min(first.Ticks << Math.Min(attempts - 1, 16), longest));
    }
}
