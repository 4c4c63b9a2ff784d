using Nanokit.Core.Model;
using Nanokit.Runtime;

namespace Nanokit.Cli.Running;

/// <summary>
/// <c>up --wait</c>, as Compose's: after the run, every running replica with a healthcheck is waited for until it is
/// healthy — also the ones nothing depends on, which the run itself does not wait for.
/// </summary>
internal static class HealthWait
{
    /// <summary>The replicas that turned out unhealthy, as <c>service-n</c>; empty when every one is healthy.</summary>
    public static async Task<IReadOnlyList<string>> UnhealthyAsync(IRuntimeProvider provider, ProjectSpec spec, IReadOnlyCollection<string> services, CancellationToken cancellationToken)
    {
        var project = ProjectRef.Of(spec);
        var observed = await provider.ObserveAsync(project, cancellationToken).ConfigureAwait(false);
        var waits = observed.Replicas
            .Where(r => r.State == ReplicaState.Running && (services.Count == 0 || services.Contains(r.Service)))
            .Select(async r => (Name: $"{r.Service}-{r.Replica}", Health: await provider.WaitForHealthAsync(new ReplicaId(project, r.Service, r.Replica), cancellationToken).ConfigureAwait(false)))
            .ToList();
        var results = await Task.WhenAll(waits).ConfigureAwait(false);
        return [.. results.Where(r => r.Health == HealthStatus.Unhealthy).Select(r => r.Name).Order(StringComparer.Ordinal)];
    }
}
