using Nanokit.Core.Model;
using Nanokit.Runtime;

namespace Nanokit.Providers.Docker.Tests;

public sealed class DockerNetworkTests
{
    // Retries inside the container: the server's listener and the embedded DNS entry appear a moment after CreateAsync returns.
    private const string ReachServer =
        "i=0; while test $i -lt 100; do if nc server 7000 </dev/null | grep -q pong; then echo reached; exit 0; fi; sleep 0.2; i=$((i+1)); done; exit 1";

    [Fact]
    public async Task Services_reach_each_other_by_name_on_the_project_network_which_goes_with_the_last_replica()
    {
        await using var p = await DockerProject.StartAsync();
        var server = DockerProject.Service("server") with
        {
            Command = ["sh", "-c", "trap 'exit 0' TERM; while :; do echo pong | nc -l -p 7000; done"],
        };
        var client = DockerProject.Service("client") with
        {
            Command = ["sh", "-c", ReachServer],
            Hooks = new HooksSpec(new Hook(["sh", "-c", ReachServer], HookLocation.Service, TimeSpan.FromSeconds(60)), null, null),
        };

        await p.Runtime.CreateAsync(p.Replica(server), DockerProject.Timeout());
        var hook = await p.Runtime.RunHookAsync(p.Project, client, HookKind.Prestart, DockerProject.Timeout(60));
        await p.Runtime.CreateAsync(p.Replica(client), DockerProject.Timeout());

        Assert.True(hook.Succeeded, "the prestart hook did not reach the server: " + hook.OutputTail);
        Assert.Equal(0, await p.Runtime.WaitForCompletionAsync(p.Id("client"), DockerProject.Timeout(60)));
        var network = p.Project.Name + "_default";
        Assert.Equal(
            $"bridge default {p.Project.Name}",
            (await DockerProject.DockerCliAsync("network", "inspect", "-f", "{{.Driver}} {{index .Labels \"io.nanokit.network\"}} {{index .Labels \"io.nanokit.project\"}}", network)).Trim());

        await p.Runtime.DeleteAsync(p.Id("client"), null, DockerProject.Timeout());
        Assert.Equal([network], await p.NetworkNamesAsync());
        await p.Runtime.DeleteAsync(p.Id("server"), null, DockerProject.Timeout());
        Assert.Empty(await p.NetworkNamesAsync());

        await p.Runtime.CreateAsync(p.Replica(server), DockerProject.Timeout());
        Assert.Equal([network], await p.NetworkNamesAsync());
    }

    [Fact]
    public async Task A_service_with_a_network_mode_runs_there_and_needs_no_project_network()
    {
        await using var p = await DockerProject.StartAsync();
        var created = await p.Runtime.CreateAsync(p.Replica(DockerProject.Service("web") with { NetworkMode = "none" }), DockerProject.Timeout());

        Assert.Equal(ReplicaState.Running, created.State);
        Assert.Equal("none", (await DockerProject.DockerCliAsync("inspect", "-f", "{{.HostConfig.NetworkMode}}", created.Id!)).Trim());
        Assert.Empty(await p.NetworkNamesAsync());
    }

    [Fact]
    public async Task Concurrent_first_creates_in_a_project_share_one_network()
    {
        await using var p = await DockerProject.StartAsync();
        var web = DockerProject.Service("web");

        await Task.WhenAll(Enumerable.Range(1, 4).Select(n => p.Runtime.CreateAsync(p.Replica(web, n), DockerProject.Timeout(60))));

        Assert.Equal([p.Project.Name + "_default"], await p.NetworkNamesAsync());
        Assert.Equal(4, (await p.Runtime.ObserveAsync(p.Project, DockerProject.Timeout())).Replicas.Length);
    }
}
