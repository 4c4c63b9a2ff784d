using Nanokit.Core.Config;
using Nanokit.Runtime;

namespace Nanokit.Cli.Running;

/// <summary>
/// A running replica's health for <c>status</c>: what the runtime says now, unless it has no verdict of its own yet
/// (Starting — a new nkapp process's first probes) and an earlier run recorded one for this same incarnation; then that
/// one, marked as the last run's. Docker's own health status is always fresh, so it is shown as it is.
/// </summary>
internal sealed record ReplicaHealth(HealthStatus Status, DateTimeOffset? RecordedAt)
{
    public static async Task<ReplicaHealth> OfAsync(IRuntimeProvider provider, ReplicaId replica, CancellationToken cancellationToken)
    {
        var now = await provider.ProbeHealthAsync(replica, cancellationToken).ConfigureAwait(false);
        if (now == HealthStatus.Starting && provider is IRecordedHealth recorded
            && await recorded.LastHealthAsync(replica, cancellationToken).ConfigureAwait(false) is { } last)
        {
            return new ReplicaHealth(last.Status, last.At);
        }

        return new ReplicaHealth(now, null);
    }

    /// <summary>
    /// A replica that is not running is not probed: its health is the last verdict recorded for it (an unhealthy replica
    /// that then exited shows what the last run saw), marked as such, or none.
    /// </summary>
    public static async Task<ReplicaHealth> RecordedAsync(IRuntimeProvider provider, ReplicaId replica, CancellationToken cancellationToken) =>
        provider is IRecordedHealth recorded && await recorded.LastHealthAsync(replica, cancellationToken).ConfigureAwait(false) is { } last
            ? new ReplicaHealth(last.Status, last.At)
            : new ReplicaHealth(HealthStatus.None, null);

    /// <summary><c>unhealthy</c>, or <c>unhealthy (last run, 12s ago)</c> when it is the last run's verdict.</summary>
    public string Render(DateTimeOffset now)
    {
        var status = Status.ToString().ToLowerInvariant();
        if (RecordedAt is not { } at)
        {
            return status;
        }

        var age = TimeSpan.FromSeconds(Math.Max(0, Math.Floor((now - at).TotalSeconds)));
        return $"{status} (last run, {Durations.Format(age)} ago)";
    }
}
