using Nanokit.Core.Model;
using Nanokit.Runtime;

namespace Nanokit.Providers.Local;

/// <summary>
/// Docker's health state machine for one replica incarnation: Starting until the first success; a success makes it
/// Healthy and resets the failure count; a failure during <c>start_period</c> does not count until a probe has
/// succeeded once; <c>retries</c> consecutive counted failures make it Unhealthy. Scheduled probes come as Docker's do:
/// every <c>start_interval</c> during the start period until the first success (when it is set), otherwise every
/// <c>interval</c>; the first runs as soon as anyone asks. Beside them, a replica that gates its dependents is probed
/// whenever its waiter asks (active readiness): such a probe can only make it Healthy earlier, its failures do not count.
/// One probe at a time.
/// </summary>
internal sealed class HealthTracker(string incarnation, DateTimeOffset startedAt)
{
    private readonly SemaphoreSlim _probing = new(1, 1);
    private DateTimeOffset? _lastProbe;
    private int _failures;
    private bool _succeeded;

    public string Incarnation { get; } = incarnation;

    public HealthStatus Status { get; private set; } = HealthStatus.Starting;

    /// <summary>Runs the scheduled probe if it is due; otherwise, with <paramref name="gating"/> and while Starting, a readiness probe.</summary>
    public async Task<HealthStatus> ProbeAsync(
        HealthcheckSpec check, Func<CancellationToken, Task<bool>> probe, TimeProvider time, bool gating, CancellationToken cancellationToken)
    {
        await _probing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = time.GetUtcNow();
            var scheduled = DueIn(check, now) <= TimeSpan.Zero;
            if (!scheduled && !(gating && Status == HealthStatus.Starting))
            {
                return Status;
            }

            if (scheduled)
            {
                _lastProbe = now;
            }

            var success = await probe(cancellationToken).ConfigureAwait(false);
            if (scheduled || success)
            {
                Record(success, check, time.GetUtcNow());
            }

            return Status;
        }
        finally
        {
            _probing.Release();
        }
    }

    /// <summary>How long until the next scheduled probe (zero or less: due now).</summary>
    public TimeSpan DueIn(HealthcheckSpec check, DateTimeOffset now)
    {
        if (_lastProbe is not { } last)
        {
            return TimeSpan.Zero;
        }

        var interval = check.StartInterval > TimeSpan.Zero && !_succeeded && now - startedAt < check.StartPeriod ? check.StartInterval : check.Interval;
        return last + interval - now;
    }

    internal void Record(bool success, HealthcheckSpec check, DateTimeOffset now)
    {
        if (success)
        {
            _succeeded = true;
            _failures = 0;
            Status = HealthStatus.Healthy;
            return;
        }

        if (!_succeeded && now - startedAt < check.StartPeriod)
        {
            return;
        }

        _failures++;
        if (_failures >= Math.Max(1, check.Retries))
        {
            Status = HealthStatus.Unhealthy;
        }
    }
}
