namespace Nanokit.Runtime;

public static class RuntimeProviderExtensions
{
    /// <summary>
    /// Polls <see cref="IRuntimeProvider.ProbeHealthAsync"/> until the replica is Healthy or Unhealthy (or has no
    /// healthcheck) and returns that status. Polling is cheap: providers probe at most once per healthcheck interval.
    /// </summary>
    public static async Task<HealthStatus> WaitForHealthAsync(
        this IRuntimeProvider provider, ReplicaId replica, TimeSpan pollInterval, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(provider);
        while (true)
        {
            var status = await provider.ProbeHealthAsync(replica, cancellationToken).ConfigureAwait(false);
            if (status != HealthStatus.Starting)
            {
                return status;
            }

            await Task.Delay(pollInterval, cancellationToken).ConfigureAwait(false);
        }
    }
}
