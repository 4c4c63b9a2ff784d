using System.Collections.Immutable;
using Nanokit.Core.Model;
using Nanokit.Core.Plan;
using Nanokit.Runtime;

namespace Nanokit.Providers.Docker.Tests;

/// <summary>Getting ahead of the plan: later layers' replicas are created, unstarted, and their turn starts them.</summary>
public sealed class DockerPrepareTests
{
    [Fact]
    public async Task Prepared_replicas_are_created_not_started_observed_as_missing_and_their_create_starts_that_same_container()
    {
        await using var p = await DockerProject.StartAsync();
        var web = DockerProject.Service("web") with { Replicas = 2 };

        await p.Runtime.PrepareAsync([p.Replica(web, 1), p.Replica(web, 2)], DockerProject.Timeout());

        Assert.Equal("created", await StatusAsync(p, "web", 1));
        Assert.Equal("created", await StatusAsync(p, "web", 2));
        var observed = await p.Runtime.ObserveAsync(p.Project, DockerProject.Timeout());
        Assert.All(observed.Replicas, r => Assert.Equal(ReplicaState.Missing, r.State));
        Assert.Equal(2, observed.Replicas.Length);

        var prepared = await IdAsync(p, "web", 1);
        var started = await p.Runtime.CreateAsync(p.Replica(web, 1), DockerProject.Timeout());

        Assert.Equal(ReplicaState.Running, started.State);
        Assert.Equal(prepared, started.Id);
        Assert.Equal("created", await StatusAsync(p, "web", 2));
    }

    [Fact]
    public async Task A_prepared_replica_of_another_definition_is_replaced_not_started()
    {
        await using var p = await DockerProject.StartAsync();
        var web = DockerProject.Service("web");
        await p.Runtime.PrepareAsync([p.Replica(web, hash: "old")], DockerProject.Timeout());
        var prepared = await IdAsync(p, "web", 1);

        var created = await p.Runtime.CreateAsync(p.Replica(web with { Image = DockerProject.Image2 }, hash: "new"), DockerProject.Timeout());

        Assert.NotEqual(prepared, created.Id);
        Assert.Equal(("new", ReplicaState.Running), (created.ConfigHash, created.State));
        Assert.Equal([p.Project.Name + "-web-1"], await p.ContainerNamesAsync());
    }

    [Fact]
    public async Task An_image_several_services_use_is_pulled_once_when_they_are_prepared()
    {
        await DockerProject.RegistryAnswersAsync();
        await using var p = await DockerProject.StartAsync();
        var image = await p.PushOwnImageAsync();
        var since = DateTimeOffset.UtcNow;
        var api = DockerProject.Service("api", image) with { PullPolicy = PullPolicy.Missing };
        var worker = DockerProject.Service("worker", image) with { PullPolicy = PullPolicy.Missing, Replicas = 2 };

        await p.Runtime.PrepareAsync([p.Replica(api), p.Replica(worker, 1), p.Replica(worker, 2)], DockerProject.Timeout(60));

        Assert.Equal(1, await DockerProject.PullsAsync(image, since));
        Assert.Equal(3, (await p.ContainerNamesAsync()).Length);
    }

    [Fact]
    public async Task After_a_crash_between_prepare_and_start_the_next_run_converges_with_exactly_the_desired_replicas()
    {
        await using var p = await DockerProject.StartAsync();
        var web = DockerProject.Service("web") with { Replicas = 3 };
        var project = new ProjectSpec(p.Project.Name, RuntimeKind.Docker, DriftSettings.Default, ImmutableSortedDictionary<string, ServiceSpec>.Empty.Add("web", web), p.Project.Directory);
        var hash = ConfigHash.Compute(web);

        // The run that crashed: it prepared the replicas through another runtime (another process), then was gone.
        using (var crashed = new DockerRuntime(new DockerRuntimeOptions { Endpoint = DockerEndpoint.Parse(DockerProject.Host) }))
        {
            await crashed.PrepareAsync([.. Enumerable.Range(1, 3).Select(n => new ReplicaSpec(p.Project, web, n, hash, 1))], DockerProject.Timeout());
        }

        Assert.Equal(3, (await p.ContainerNamesAsync()).Length);

        // The next run plans from what it observes and carries the plan out, as the reconciler does.
        var plan = PlanEngine.Plan(project, await p.Runtime.ObserveAsync(p.Project, DockerProject.Timeout()));
        var creates = plan.Layers.SelectMany(l => l.Actions).ToList();
        Assert.All(creates, a => Assert.Equal(ActionType.Create, a.Action));
        await Task.WhenAll(creates.Select(a => p.Runtime.CreateAsync(new ReplicaSpec(p.Project, web, a.Replica, a.ConfigHash!, 2), DockerProject.Timeout())));

        Assert.Equal([1, 2, 3], (await p.Runtime.ObserveAsync(p.Project, DockerProject.Timeout())).Replicas.Where(r => r.State == ReplicaState.Running).Select(r => r.Replica));
        Assert.Equal(3, (await p.ContainerNamesAsync()).Length);
        Assert.False(PlanEngine.Plan(project, await p.Runtime.ObserveAsync(p.Project, DockerProject.Timeout())).HasChanges);
    }

    private static async Task<string> StatusAsync(DockerProject p, string service, int replica) =>
        (await DockerProject.DockerCliAsync("inspect", "--format", "{{.State.Status}}", ContainerDefinition.ContainerName(p.Id(service, replica)))).Trim();

    private static async Task<string> IdAsync(DockerProject p, string service, int replica) =>
        (await DockerProject.DockerCliAsync("inspect", "--format", "{{.Id}}", ContainerDefinition.ContainerName(p.Id(service, replica)))).Trim();
}
