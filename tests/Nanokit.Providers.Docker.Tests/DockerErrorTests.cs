using Nanokit.Core.Model;
using Nanokit.Runtime;

namespace Nanokit.Providers.Docker.Tests;

/// <summary>What the daemon refuses reaches the user in Docker's own words, naming the replica, and leaves nothing behind.</summary>
public sealed class DockerErrorTests
{
    [Fact]
    public async Task A_host_port_published_twice_fails_the_second_replica_with_dockers_message_and_leaves_no_container()
    {
        await using var p = await DockerProject.StartAsync();
        var port = LoopbackPort.Free();
        var first = DockerProject.Service("first") with { Ports = [new PortMapping(null, port, 80, "tcp")] };
        var second = DockerProject.Service("second") with { Ports = [new PortMapping(null, port, 80, "tcp")] };
        await p.Runtime.CreateAsync(p.Replica(first), DockerProject.Timeout());

        var error = await Assert.ThrowsAsync<RuntimeException>(() => p.Runtime.CreateAsync(p.Replica(second), DockerProject.Timeout()));

        Assert.StartsWith($"docker runtime: {p.Project.Name}/second-1: ", error.Message);
        Assert.Contains($"Bind for 0.0.0.0:{port} failed: port is already allocated", error.Message);
        Assert.Equal([$"{p.Project.Name}-first-1"], await p.ContainerNamesAsync());
    }

    [Fact]
    public async Task A_bind_mount_of_a_file_onto_a_directory_fails_with_dockers_message_and_leaves_no_container()
    {
        await using var p = await DockerProject.StartAsync();
        await File.WriteAllTextAsync(Path.Combine(p.Project.Directory, "settings.txt"), "x");
        var service = DockerProject.Service("web") with { Volumes = [new VolumeMount("bind", "settings.txt", "/etc", true)] };

        var error = await Assert.ThrowsAsync<RuntimeException>(() => p.Runtime.CreateAsync(p.Replica(service), DockerProject.Timeout()));

        Assert.StartsWith($"docker runtime: {p.Project.Name}/web-1: ", error.Message);
        Assert.Contains("not a directory", error.Message);
        Assert.Contains("Are you trying to mount a directory onto a file (or vice-versa)?", error.Message);
        Assert.Empty(await p.ContainerNamesAsync());
    }

    [Fact]
    public async Task A_bind_mount_with_a_relative_target_is_refused_at_create_with_dockers_message()
    {
        await using var p = await DockerProject.StartAsync();
        var service = DockerProject.Service("web") with { Volumes = [new VolumeMount("bind", ".", "config", true)] };

        var error = await Assert.ThrowsAsync<RuntimeException>(() => p.Runtime.CreateAsync(p.Replica(service), DockerProject.Timeout()));

        Assert.StartsWith($"docker runtime: {p.Project.Name}/web-1: ", error.Message);
        Assert.Contains("'config' mount path must be absolute", error.Message);
        Assert.Empty(await p.ContainerNamesAsync());
    }

    [Fact]
    public async Task A_failed_update_leaves_the_old_replica_running_when_the_new_image_cannot_be_had()
    {
        await using var p = await DockerProject.StartAsync();
        var created = await p.Runtime.CreateAsync(p.Replica(DockerProject.Service("web")), DockerProject.Timeout());

        await Assert.ThrowsAsync<RuntimeException>(
            () => p.Runtime.CreateAsync(p.Replica(DockerProject.Service("web", "nanokit-test/absent:9"), hash: "h2"), DockerProject.Timeout()));

        var observed = Assert.Single((await p.Runtime.ObserveAsync(p.Project, DockerProject.Timeout())).Replicas);
        Assert.Equal((created.Id, "h1", ReplicaState.Running), (observed.Id, observed.ConfigHash, observed.State));
    }
}
