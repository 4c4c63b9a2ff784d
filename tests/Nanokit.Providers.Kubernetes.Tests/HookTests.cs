using System.Collections.Immutable;
using Nanokit.Core.Model;
using Nanokit.Providers.Kubernetes.Tests.ApiServer;
using Nanokit.Runtime;

namespace Nanokit.Providers.Kubernetes.Tests;

/// <summary>poststart and prestop hooks through pods/exec in replica 1, against the test API server's exec endpoint.</summary>
public sealed class HookTests : ApiServerTest
{
    [Fact]
    public async Task A_poststart_hook_runs_in_the_replica_with_its_environment_and_reports_its_output_and_exit_code()
    {
        var web = Web(Hook(["sh", "-c", "echo \"mode=$MODE\"; echo oops >&2; exit 3"], TimeSpan.Zero));
        await Provider.CreateAsync(new ReplicaSpec(Shop, web, 1, "hash-a", 1), default);

        var result = await Provider.RunHookAsync(Shop, web, HookKind.Poststart, default);

        Assert.Equal((3, false), (result.ExitCode, result.TimedOut));
        Assert.Contains("mode=prod", result.OutputTail);
        Assert.Contains("oops", result.OutputTail);
        Assert.True((await Provider.RunHookAsync(Shop, Web(Hook(["true"], TimeSpan.Zero)), HookKind.Poststart, default)).Succeeded);
    }

    [Fact]
    public async Task A_hook_past_its_timeout_is_reported_timed_out()
    {
        var web = Web(Hook(["sleep", "30"], TimeSpan.FromSeconds(1)));
        await Provider.CreateAsync(new ReplicaSpec(Shop, web, 1, "hash-a", 1), default);

        var result = await Provider.RunHookAsync(Shop, web, HookKind.Poststart, default);

        Assert.True(result.TimedOut);
        Assert.False(result.Succeeded);
    }

    [Fact]
    public async Task A_hook_of_a_replica_that_does_not_exist_or_has_ended_fails_naming_the_replica()
    {
        var web = Web(Hook(["true"], TimeSpan.Zero));
        var missing = await Assert.ThrowsAsync<RuntimeException>(() => Provider.RunHookAsync(Shop, web, HookKind.Poststart, default));
        await Provider.CreateAsync(new ReplicaSpec(Shop, web, 1, "hash-a", 1), default);
        Api.Kubelet.Exit("shop", "web-1", 0);
        await Provider.WaitForCompletionAsync(new ReplicaId(Shop, "web", 1), default);
        var ended = await Assert.ThrowsAsync<RuntimeException>(() => Provider.RunHookAsync(Shop, web, HookKind.Poststart, default));

        Assert.Contains("pods/web-1 does not exist", missing.Message);
        Assert.Contains("pods/web-1 is not running", ended.Message);
    }

    private static Hook Hook(ImmutableArray<string> command, TimeSpan timeout) => new(command, HookLocation.Service, timeout);

    private static ServiceSpec Web(Hook poststart) => new()
    {
        Name = "web",
        Image = "app:1",
        StopGracePeriod = TimeSpan.FromSeconds(5),
        Environment = ImmutableSortedDictionary<string, string?>.Empty.Add("MODE", "prod"),
        Hooks = new HooksSpec(null, poststart, poststart),
    };
}
