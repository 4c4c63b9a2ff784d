using Nanokit.Core.Model;
using Nanokit.Runtime;

namespace Nanokit.Providers.Docker.Tests;

public sealed class DockerHealthAndWatchTests
{
    [Fact]
    public async Task A_replica_becomes_healthy_once_its_healthcheck_passes()
    {
        await using var p = await DockerProject.StartAsync();
        var service = DockerProject.Service("db") with
        {
            Command = ["sh", "-c", "trap 'exit 0' TERM; sleep 1; touch /tmp/ok; while :; do sleep 0.2; done"],
            Healthcheck = new HealthcheckSpec(["CMD-SHELL", "test -f /tmp/ok"], TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(2), 3, TimeSpan.Zero, false),
        };
        await p.Runtime.CreateAsync(p.Replica(service), DockerProject.Timeout());

        Assert.Equal(HealthStatus.Starting, await p.Runtime.ProbeHealthAsync(p.Id("db"), DockerProject.Timeout()));
        Assert.Equal(HealthStatus.Healthy, await p.Runtime.WaitForHealthAsync(p.Id("db"), DockerProject.Timeout()));
    }

    [Fact]
    public async Task A_replica_whose_healthcheck_fails_is_unhealthy_and_observed_so()
    {
        await using var p = await DockerProject.StartAsync();
        var service = DockerProject.Service("db") with
        {
            Healthcheck = new HealthcheckSpec(["CMD", "false"], TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(2), 1, TimeSpan.Zero, false),
        };
        await p.Runtime.CreateAsync(p.Replica(service), DockerProject.Timeout());
        var plain = DockerProject.Service("web");
        await p.Runtime.CreateAsync(p.Replica(plain), DockerProject.Timeout());

        Assert.Equal(HealthStatus.Unhealthy, await p.Runtime.WaitForHealthAsync(p.Id("db"), DockerProject.Timeout()));
        Assert.Equal(HealthStatus.None, await p.Runtime.ProbeHealthAsync(p.Id("web"), DockerProject.Timeout()));
        var observed = (await p.Runtime.ObserveAsync(p.Project, DockerProject.Timeout())).Replicas;
        Assert.Equal([ReplicaState.Unhealthy, ReplicaState.Running], observed.Select(r => r.State));
    }

    [Fact]
    public async Task Waiting_for_health_reports_a_replica_that_exits_or_has_no_healthcheck()
    {
        await using var p = await DockerProject.StartAsync();
        var crashing = DockerProject.Service("db") with
        {
            Command = ["sh", "-c", "sleep 1; exit 3"],
            Healthcheck = new HealthcheckSpec(["CMD", "false"], TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(2), 3, TimeSpan.Zero, false),
        };
        await p.Runtime.CreateAsync(p.Replica(crashing), DockerProject.Timeout());
        await p.Runtime.CreateAsync(p.Replica(DockerProject.Service("web")), DockerProject.Timeout());

        // The first probe is 30 s away: the wait ends on the container exiting, not on a health verdict.
        var error = await Assert.ThrowsAsync<RuntimeException>(() => p.Runtime.WaitForHealthAsync(p.Id("db"), DockerProject.Timeout(20)));

        Assert.Equal($"docker runtime: {p.Project.Name}/db-1: the container exited with code 3 before it became healthy", error.Message);
        Assert.Equal(HealthStatus.None, await p.Runtime.WaitForHealthAsync(p.Id("web"), DockerProject.Timeout()));
    }

    [Fact]
    public async Task A_container_removed_by_hand_shows_up_as_missing_in_the_watch()
    {
        await using var p = await DockerProject.StartAsync();
        var created = await p.Runtime.CreateAsync(p.Replica(DockerProject.Service("web")), DockerProject.Timeout());
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var changes = p.Runtime.WatchAsync(p.Project, cts.Token).GetAsyncEnumerator(cts.Token);
        var first = changes.MoveNextAsync().AsTask();

        await DockerProject.DockerCliAsync("rm", "-f", created.Id!);

        var seen = new List<RuntimeChange>();
        var moved = await first;
        while (moved)
        {
            seen.Add(changes.Current);
            if (changes.Current.Replica.State == ReplicaState.Missing)
            {
                break;
            }

            moved = await changes.MoveNextAsync();
        }

        await changes.DisposeAsync();
        var missing = seen[^1];
        Assert.Equal((p.Project.Name, "web", 1, ReplicaState.Missing, "h1"), (missing.Project, missing.Replica.Service, missing.Replica.Replica, missing.Replica.State, missing.Replica.ConfigHash));
    }
}
