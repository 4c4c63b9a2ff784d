using Nanokit.Core.Model;
using Nanokit.Runtime;

namespace Nanokit.Providers.Local;

/// <summary>
/// Docker's health state machine for one replica incarnation: Starting until the first success; a success makes it
/// Healthy and resets the failure count; a failure during <c>start_period</c> does not count until a probe has
/// succeeded once; <c>retries</c> consecutive counted failures make it Unhealthy. At most one probe runs per
/// <c>interval</c>; the first runs as soon as anyone asks, so health gating does not wait a whole interval.
/// </summary>
internal sealed class HealthTracker(string incarnation, DateTimeOffset startedAt)
{
    private readonly SemaphoreSlim _probing = new(1, 1);
    private DateTimeOffset? _lastProbe;
    private int _failures;
    private bool _succeeded;

    public string Incarnation { get; } = incarnation;

    public HealthStatus Status { get; private set; } = HealthStatus.Starting;

    public async Task<HealthStatus> ProbeIfDueAsync(
        HealthcheckSpec check, Func<CancellationToken, Task<bool>> probe, TimeProvider time, CancellationToken cancellationToken)
    {
        await _probing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = time.GetUtcNow();
            if (_lastProbe is { } last && now - last < check.Interval)
            {
                return Status;
            }

            _lastProbe = now;
            Record(await probe(cancellationToken).ConfigureAwait(false), check, time.GetUtcNow());
            return Status;
        }
        finally
        {
            _probing.Release();
        }
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
