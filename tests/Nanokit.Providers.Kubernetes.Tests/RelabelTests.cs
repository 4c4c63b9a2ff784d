using Nanokit.Core.Model;
using Nanokit.Providers.Kubernetes.Tests.ApiServer;
using Nanokit.Runtime;

namespace Nanokit.Providers.Kubernetes.Tests;

/// <summary>
/// A replica's pod relabelled by hand has left the project: the label-selected watch reports the replica missing (the API
/// server's DELETED for an object that stops matching, or a MODIFIED naming another replica), observe leaves it out, and
/// the heal puts a new pod in its place.
/// </summary>
public sealed class RelabelTests : ApiServerTest
{
    private static readonly ServiceSpec Web = new() { Name = "web", Image = "app:1" };

    [Fact]
    public async Task The_watch_reports_a_replica_missing_when_its_pod_is_relabelled_out_of_the_project_or_to_another_replica()
    {
        await Provider.CreateAsync(new ReplicaSpec(Shop, Web, 1, "h", 1), default);
        await Provider.CreateAsync(new ReplicaSpec(Shop, Web, 2, "h", 1), default);
        await Provider.CreateAsync(new ReplicaSpec(Shop, Web, 3, "h", 1), default);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var changes = Provider.WatchAsync(Shop, stop.Token).GetAsyncEnumerator(stop.Token);
        await OpenedAsync(changes, stop.Token);

        Relabel("web-1", "nanokit.io/project", "debug");
        Relabel("web-2", "nanokit.io/replica", "7");
        var missing = new List<(string, int)>();
        while (missing.Count < 2 && await changes.MoveNextAsync())
        {
            if (changes.Current.Replica is { State: ReplicaState.Missing } gone)
            {
                missing.Add((gone.Service, gone.Replica));
            }
        }

        Assert.Equal([("web", 1), ("web", 2)], missing);
        Assert.Equal([("web", 3)], (await Provider.ObserveAsync(Shop, default)).Replicas.Select(r => (r.Service, r.Replica)));
        Assert.Equal(HealthStatus.Unhealthy, await Provider.ProbeHealthAsync(new ReplicaId(Shop, "web", 1), default));
    }

    [Fact]
    public async Task The_heal_replaces_a_pod_relabelled_out_of_the_project_by_a_new_pod_of_the_replica()
    {
        var first = await Provider.CreateAsync(new ReplicaSpec(Shop, Web, 1, "h", 1), default);
        Relabel("web-1", "nanokit.io/project", "debug");

        var healed = await Provider.CreateAsync(new ReplicaSpec(Shop, Web, 1, "h", 1), default);

        Assert.NotEqual(first.Id, healed.Id);
        var pod = Api.Store.Get("pods", "shop", "web-1")!;
        Assert.Equal(healed.Id, (string)pod["metadata"]!["uid"]!);
        Assert.Equal("shop", (string)pod["metadata"]!["labels"]!["nanokit.io/project"]!);
        Assert.Equal([("web", 1, ReplicaState.Running)], (await Provider.ObserveAsync(Shop, default)).Replicas.Select(r => (r.Service, r.Replica, r.State)));
    }

    // As `kubectl label pod NAME KEY=VALUE --overwrite` does: a metadata change, a new resourceVersion, one event.
    private void Relabel(string pod, string key, string value) =>
        Api.Store.Update("pods", "shop", pod, p =>
        {
            p["metadata"]!["labels"]![key] = value;
            return true;
        });

    // The watch lists, then watches from the list's resourceVersion: it is open once it reports a change made after the
    // call, so web-3 is annotated until one comes back (each read waits at most a second for it).
    private async Task OpenedAsync(IAsyncEnumerator<RuntimeChange> changes, CancellationToken cancellationToken)
    {
        var next = changes.MoveNextAsync().AsTask();
        for (var nudge = 0; ; nudge++)
        {
            Api.Store.Update("pods", "shop", "web-3", p =>
            {
                p["metadata"]!["annotations"]!["nudge"] = nudge.ToString(System.Globalization.CultureInfo.InvariantCulture);
                return true;
            });
            if (await Task.WhenAny(next, Task.Delay(TimeSpan.FromSeconds(1), cancellationToken)) == next)
            {
                Assert.True(await next);
                Assert.Equal(("web", 3), (changes.Current.Replica.Service, changes.Current.Replica.Replica));
                return;
            }
        }
    }
}
