using System.Collections.Immutable;
using Nanokit.Core.Model;
using Nanokit.Runtime;

namespace Nanokit.Providers.Kubernetes.Tests;

/// <summary><c>nkapp stop</c>/<c>start</c> on Kubernetes: stop deletes the pod (pre_stop first); a start finds it missing, and the reconciler creates it again.</summary>
public sealed class StopStartTests : ApiServerTest
{
    [Fact]
    public async Task Stop_runs_pre_stop_then_deletes_the_pod_and_a_fresh_runtime_reports_it_missing_and_creates_it_again_from_the_spec()
    {
        var log = Path.Combine(Scratch, "log");
        var web = Web(log);
        var created = await Provider.CreateAsync(new ReplicaSpec(Shop, web, 1, "hash-a", 4), default);
        var id = new ReplicaId(Shop, "web", 1);
        IRuntimeProvider runtime = Provider; // as the reconciler calls it

        await runtime.StopAsync(id, TimeSpan.FromSeconds(1), default);

        Assert.Null(Api.Store.Get("pods", "shop", "web-1"));
        Assert.NotNull(Api.Store.Get("services", "shop", "web"));
        Assert.Empty((await Provider.ObserveAsync(Shop, default)).Replicas);
        Assert.Equal("started\ndrained\n", await File.ReadAllTextAsync(log));
        await runtime.StopAsync(id, null, default);

        // The node that resumes a restart after a failover has a runtime of its own: nothing of the stop is in its memory.
        using var fresh = new KubernetesRuntime(KubeConfig.Read(Api.WriteKubeconfig(Scratch)));
        var missing = await Assert.ThrowsAsync<RuntimeException>(() => fresh.StartAsync(id, default));
        var again = await fresh.CreateAsync(new ReplicaSpec(Shop, web, 1, "hash-a", 4), default);

        Assert.True(missing.Missing, missing.Message);
        Assert.NotEqual(created.Id, again.Id);
        Assert.Equal(("hash-a", 4L, ReplicaState.Running), (again.ConfigHash, again.Generation, again.State));
        Assert.Equal("app:1", (string)Api.Store.Get("pods", "shop", "web-1")!["spec"]!["containers"]![0]!["image"]!);
        Assert.Equal("started\ndrained\nstarted\n", await File.ReadAllTextAsync(log));
    }

    [Fact]
    public async Task Starting_a_replica_that_was_neither_created_nor_stopped_here_reports_it_missing_naming_its_pod()
    {
        var failure = await Assert.ThrowsAsync<RuntimeException>(() => Provider.StartAsync(new ReplicaId(Shop, "web", 1), default));

        Assert.Contains("there is no pod web-1 to start", failure.Message);
        Assert.True(failure.Missing);
    }

    private static ServiceSpec Web(string log) => new()
    {
        Name = "web",
        Image = "app:1",
        Ports = [new PortMapping(null, 8080, 80, "tcp")],
        StopGracePeriod = TimeSpan.FromSeconds(5),
        Container = ContainerOptions.None with { PostStart = [Hook(log, "started")], PreStop = [Hook(log, "drained")] },
    };

    private static LifecycleHook Hook(string file, string word) =>
        new(["sh", "-c", $"echo {word} >> {file}"], null, false, null, ImmutableSortedDictionary<string, string?>.Empty);
}
