using System.Collections.Immutable;
using Nanokit.Core.Model;
using Nanokit.Runtime;

namespace Nanokit.Providers.Kubernetes.Tests;

/// <summary>Compose's post_start and pre_stop through pods/exec in the replica's container (the test API server runs the exec as a real process).</summary>
public sealed class LifecycleHookTests : ApiServerTest
{
    [Fact]
    public async Task Post_start_hooks_run_in_order_once_the_pod_has_started_and_not_again_for_an_adopted_pod()
    {
        var order = Path.Combine(Scratch, "order");
        var web = Web(postStart: [Append(order, "one"), Append(order, "two")], preStop: []);

        await Provider.CreateAsync(new ReplicaSpec(Shop, web, 1, "hash-a", 1), default);
        await Provider.CreateAsync(new ReplicaSpec(Shop, web, 1, "hash-a", 1), default);

        Assert.Equal("one\ntwo\n", await File.ReadAllTextAsync(order));
    }

    [Fact]
    public async Task A_failing_post_start_hook_fails_the_create_naming_it_and_its_status_and_the_pod_is_deleted()
    {
        var web = Web(postStart: [Hook(["sh", "-c", "echo not-ready; exit 4"])], preStop: []);

        var failure = await Assert.ThrowsAsync<RuntimeException>(() => Provider.CreateAsync(new ReplicaSpec(Shop, web, 1, "hash-a", 1), default));

        Assert.Equal(("web", 1), (failure.Service, failure.Replica));
        Assert.Contains("post_start hook \"sh -c echo not-ready; exit 4\" exited with status 4: not-ready", failure.Message);
        Assert.Null(Api.Store.Get("pods", "shop", "web-1"));
    }

    [Fact]
    public async Task Pre_stop_hooks_run_before_a_running_pod_is_replaced_or_deleted()
    {
        var drained = Path.Combine(Scratch, "drained");
        var web = Web(postStart: [], preStop: [Append(drained, "drained")]);
        await Provider.CreateAsync(new ReplicaSpec(Shop, web, 1, "hash-a", 1), default);

        await Provider.CreateAsync(new ReplicaSpec(Shop, web with { Image = "app:2" }, 1, "hash-b", 2), default);
        Assert.Equal("drained\n", await File.ReadAllTextAsync(drained));
        await Provider.DeleteAsync(new ReplicaId(Shop, "web", 1), null, default);

        Assert.Equal("drained\ndrained\n", await File.ReadAllTextAsync(drained));
        Assert.Null(Api.Store.Get("pods", "shop", "web-1"));
    }

    [Fact]
    public async Task A_failing_pre_stop_hook_fails_the_delete_naming_it_and_keeps_the_pod()
    {
        var web = Web(postStart: [], preStop: [Hook(["sh", "-c", "exit 5"])]);
        await Provider.CreateAsync(new ReplicaSpec(Shop, web, 1, "hash-a", 1), default);

        var failure = await Assert.ThrowsAsync<RuntimeException>(() => Provider.DeleteAsync(new ReplicaId(Shop, "web", 1), null, default));

        Assert.Contains("pre_stop hook \"sh -c exit 5\" exited with status 5", failure.Message);
        Assert.NotNull(Api.Store.Get("pods", "shop", "web-1"));
    }

    private static LifecycleHook Append(string file, string word) => Hook(["sh", "-c", $"echo {word} >> {file}"]);

    private static LifecycleHook Hook(ImmutableArray<string> command) => new(command, null, false, null, ImmutableSortedDictionary<string, string?>.Empty);

    private static ServiceSpec Web(ImmutableArray<LifecycleHook> postStart, ImmutableArray<LifecycleHook> preStop) => new()
    {
        Name = "web",
        Image = "app:1",
        StopGracePeriod = TimeSpan.FromSeconds(5),
        Container = ContainerOptions.None with { PostStart = postStart, PreStop = preStop },
    };
}
