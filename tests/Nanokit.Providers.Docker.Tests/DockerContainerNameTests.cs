using Nanokit.Core.Model;
using Nanokit.Runtime;

namespace Nanokit.Providers.Docker.Tests;

/// <summary>Compose's container_name on the real daemon: the replica is named so and stays discoverable, replaceable and removable.</summary>
public sealed class DockerContainerNameTests
{
    private static ServiceSpec Named(string containerName) =>
        DockerProject.Service("web") with { Container = new ContainerOptions { ContainerName = containerName } };

    private static Task<(int ExitCode, string Output, string Error)> NamesAsync(string name) =>
        DockerProject.TryDockerCliAsync("ps", "-a", "--filter", "name=^/" + name + "$", "--format", "{{.Names}} {{.State}}");

    [Fact]
    public async Task A_replica_takes_its_container_name_and_is_observed_recreated_and_deleted_by_it_from_a_new_runtime()
    {
        await using var p = await DockerProject.StartAsync();
        var name = p.Project.Name + "-shop";
        var web = Named(name);

        var created = await p.Runtime.CreateAsync(p.Replica(web), DockerProject.Timeout());
        Assert.Equal(name + " running", (await NamesAsync(name)).Output.Trim());
        Assert.Empty(await p.ContainerNamesAsync("web"));
        Assert.Equal(HealthStatus.None, await p.Runtime.ProbeHealthAsync(p.Id("web"), DockerProject.Timeout()));

        // A recreate frees the name before the new container takes it.
        var recreated = await p.Runtime.CreateAsync(p.Replica(web with { Environment = web.Environment.SetItem("V", "2") }, hash: "h2"), DockerProject.Timeout());
        Assert.NotEqual(created.Id, recreated.Id);
        Assert.Equal(name + " running", (await NamesAsync(name)).Output.Trim());

        // Another process (a later nkapp down) observes first, then deletes by the replica's id alone.
        using var other = new DockerRuntime(new DockerRuntimeOptions { Endpoint = DockerEndpoint.Parse(DockerProject.Host) });
        var observed = Assert.Single((await other.ObserveAsync(p.Project, DockerProject.Timeout())).Replicas);
        Assert.Equal(("web", 1, "h2", ReplicaState.Running), (observed.Service, observed.Replica, observed.ConfigHash, observed.State));
        await other.DeleteAsync(p.Id("web"), null, DockerProject.Timeout());

        Assert.Equal("", (await NamesAsync(name)).Output.Trim());
        Assert.Empty((await p.Runtime.ObserveAsync(p.Project, DockerProject.Timeout())).Replicas);
    }

    [Fact]
    public async Task Setting_a_container_name_replaces_the_replica_named_by_its_slot_leaving_one_container()
    {
        await using var p = await DockerProject.StartAsync();
        await p.Runtime.CreateAsync(p.Replica(DockerProject.Service("web")), DockerProject.Timeout());
        var name = p.Project.Name + "-shop";

        await p.Runtime.CreateAsync(p.Replica(Named(name), hash: "h2"), DockerProject.Timeout());

        Assert.Empty(await p.ContainerNamesAsync("web"));
        Assert.Equal(name + " running", (await NamesAsync(name)).Output.Trim());
        Assert.Equal("h2", Assert.Single((await p.Runtime.ObserveAsync(p.Project, DockerProject.Timeout())).Replicas).ConfigHash);
    }

    [Fact]
    public async Task A_name_held_by_a_foreign_container_fails_the_create_naming_the_service_and_the_name_and_changes_nothing()
    {
        await using var p = await DockerProject.StartAsync();
        var name = p.Project.Name + "-taken";
        var foreign = (await DockerProject.DockerCliAsync("create", "--name", name, DockerProject.Image1, "sleep", "60")).Trim();
        try
        {
            var failure = await Assert.ThrowsAsync<RuntimeException>(() => p.Runtime.CreateAsync(p.Replica(Named(name)), DockerProject.Timeout()));

            Assert.False(failure.Transient);
            Assert.Contains($"container_name \"{name}\" of service \"web\" is already used by container {foreign[..12]} (not managed by Nanokit)", failure.Message);
            Assert.Equal(name + " created", (await NamesAsync(name)).Output.Trim());
            Assert.Empty((await p.Runtime.ObserveAsync(p.Project, DockerProject.Timeout())).Replicas);
        }
        finally
        {
            await DockerProject.TryDockerCliAsync("rm", "-f", foreign);
        }
    }
}
