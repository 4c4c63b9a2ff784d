using Nanokit.Core.Model;
using Nanokit.Runtime;

namespace Nanokit.Providers.Docker.Tests;

public sealed class DockerLifecycleTests
{
    [Fact]
    public async Task Create_starts_a_container_named_and_labelled_for_its_slot_without_secrets_in_the_applied_label()
    {
        await using var p = await DockerProject.StartAsync();
        var service = DockerProject.Service("web") with
        {
            Environment = System.Collections.Immutable.ImmutableSortedDictionary<string, string?>.Empty.Add("API_TOKEN", "shh").Add("MODE", "fast"),
        };

        var created = await p.Runtime.CreateAsync(p.Replica(service, generation: 7), DockerProject.Timeout());

        Assert.Equal(ReplicaState.Running, created.State);
        var observed = Assert.Single((await p.Runtime.ObserveAsync(p.Project, DockerProject.Timeout())).Replicas);
        Assert.Equal(("web", 1, "h1", 7L, created.Id), (observed.Service, observed.Replica, observed.ConfigHash, observed.Generation, observed.Id));
        Assert.Equal("fast", observed.AppliedDefinition!.Environment["MODE"]);
        Assert.Null(observed.AppliedDefinition.Environment["API_TOKEN"]);
        var labels = await DockerProject.DockerCliAsync("inspect", "-f", "{{.Name}} {{index .Config.Labels \"io.nanokit.project\"}} {{index .Config.Labels \"io.nanokit.replica\"}}", created.Id!);
        Assert.Equal($"/{p.Project.Name}-web-1 {p.Project.Name} 1", labels.Trim());
        Assert.DoesNotContain("shh", await DockerProject.DockerCliAsync("inspect", "-f", "{{json .Config.Labels}}", created.Id!));
    }

    [Fact]
    public async Task Create_keeps_a_container_with_the_same_hash_and_recreates_on_an_image_change()
    {
        await using var p = await DockerProject.StartAsync();
        var first = await p.Runtime.CreateAsync(p.Replica(DockerProject.Service("web")), DockerProject.Timeout());

        var again = await p.Runtime.CreateAsync(p.Replica(DockerProject.Service("web")), DockerProject.Timeout());
        Assert.Equal(first.Id, again.Id);

        var updated = await p.Runtime.CreateAsync(p.Replica(DockerProject.Service("web", DockerProject.Image2), hash: "h2", generation: 2), DockerProject.Timeout());
        Assert.NotEqual(first.Id, updated.Id);
        var observed = Assert.Single((await p.Runtime.ObserveAsync(p.Project, DockerProject.Timeout())).Replicas);
        Assert.Equal(("h2", 2L, DockerProject.Image2), (observed.ConfigHash, observed.Generation, observed.AppliedDefinition!.Image));
    }

    [Fact]
    public async Task Scaling_up_adds_replicas_without_recreating_the_existing_one_and_orphans_stay_observed()
    {
        await using var p = await DockerProject.StartAsync();
        var web = DockerProject.Service("web");
        var first = await p.Runtime.CreateAsync(p.Replica(web, 1), DockerProject.Timeout());
        await p.Runtime.CreateAsync(p.Replica(web, 2), DockerProject.Timeout());
        var kept = await p.Runtime.CreateAsync(p.Replica(web, 1), DockerProject.Timeout());
        await p.Runtime.CreateAsync(p.Replica(DockerProject.Service("old")), DockerProject.Timeout());

        Assert.Equal(first.Id, kept.Id);
        var observed = (await p.Runtime.ObserveAsync(p.Project, DockerProject.Timeout())).Replicas;
        Assert.Equal(["old-1", "web-1", "web-2"], observed.Select(r => $"{r.Service}-{r.Replica}"));
        Assert.All(observed, r => Assert.Equal(ReplicaState.Running, r.State));
    }

    [Fact]
    public async Task Delete_stops_and_removes_the_container_and_deleting_again_succeeds()
    {
        await using var p = await DockerProject.StartAsync();
        await p.Runtime.CreateAsync(p.Replica(DockerProject.Service("web")), DockerProject.Timeout());

        await p.Runtime.DeleteAsync(p.Id("web"), null, DockerProject.Timeout());
        await p.Runtime.DeleteAsync(p.Id("web"), null, DockerProject.Timeout());

        Assert.Empty((await p.Runtime.ObserveAsync(p.Project, DockerProject.Timeout())).Replicas);
    }

    [Fact]
    public async Task Waiting_for_completion_returns_the_exit_code_and_observe_reports_it()
    {
        await using var p = await DockerProject.StartAsync();
        var job = DockerProject.Service("job") with { Command = ["sh", "-c", "exit 3"] };
        await p.Runtime.CreateAsync(p.Replica(job), DockerProject.Timeout());

        Assert.Equal(3, await p.Runtime.WaitForCompletionAsync(p.Id("job"), DockerProject.Timeout()));
        var observed = Assert.Single((await p.Runtime.ObserveAsync(p.Project, DockerProject.Timeout())).Replicas);
        Assert.Equal((ReplicaState.Exited, (int?)3), (observed.State, observed.ExitCode));
    }

    [Fact]
    public async Task Bind_mounts_resolve_against_the_project_directory_and_named_volumes_are_created_and_labelled()
    {
        await using var p = await DockerProject.StartAsync();
        await File.WriteAllTextAsync(Path.Combine(p.Project.Directory, "config.txt"), "from-host");
        var service = DockerProject.Service("web") with
        {
            Command = ["sh", "-c", "cat /config/config.txt > /data/copy; exit 0"],
            Volumes = [new VolumeMount("bind", ".", "/config", true), new VolumeMount("volume", "data", "/data", false)],
        };
        await p.Runtime.CreateAsync(p.Replica(service), DockerProject.Timeout());

        Assert.Equal(0, await p.Runtime.WaitForCompletionAsync(p.Id("web"), DockerProject.Timeout()));
        var volume = p.Project.Name + "_data";
        Assert.Equal(p.Project.Name, (await DockerProject.DockerCliAsync("volume", "inspect", "-f", "{{index .Labels \"io.nanokit.project\"}}", volume)).Trim());
        await p.Runtime.DeleteAsync(p.Id("web"), null, DockerProject.Timeout());
        await DockerProject.DockerCliAsync("volume", "rm", volume);
    }

    [Fact]
    public async Task Resource_limits_become_the_containers_cpu_memory_and_pids_limits()
    {
        await using var p = await DockerProject.StartAsync();
        var service = DockerProject.Service("web") with { Limits = new ResourceLimits(0.5, 64L * 1024 * 1024, 50) };

        var created = await p.Runtime.CreateAsync(p.Replica(service), DockerProject.Timeout());

        Assert.Equal(
            "500000000 67108864 50",
            (await DockerProject.DockerCliAsync("inspect", "-f", "{{.HostConfig.NanoCpus}} {{.HostConfig.Memory}} {{.HostConfig.PidsLimit}}", created.Id!)).Trim());
    }

    [Fact]
    public async Task Pull_policy_never_with_a_missing_image_fails_with_a_clear_error()
    {
        await using var p = await DockerProject.StartAsync();
        var service = DockerProject.Service("web", "nanokit-test/absent:9");

        var error = await Assert.ThrowsAsync<RuntimeException>(() => p.Runtime.CreateAsync(p.Replica(service), DockerProject.Timeout()));

        Assert.Equal($"docker runtime: {p.Project.Name}/web-1: image nanokit-test/absent:9 not present and pull_policy is never", error.Message);
    }

    [Fact]
    public async Task An_unreachable_daemon_fails_with_an_error_naming_the_socket()
    {
        using var runtime = new DockerRuntime(new DockerRuntimeOptions { Endpoint = DockerEndpoint.Parse("unix:///tmp/nanokit-no-such-daemon.sock") });

        var error = await Assert.ThrowsAsync<RuntimeException>(() => runtime.ObserveAsync(new ProjectRef("shop", "/tmp"), DockerProject.Timeout()));

        Assert.StartsWith("docker runtime: shop/*: cannot reach the Docker daemon at unix:///tmp/nanokit-no-such-daemon.sock (no such socket)", error.Message);
        Assert.True(error.Transient, "an unreachable daemon is an outage the reconciler waits out");
    }

    [Fact]
    public async Task A_failure_the_daemon_reports_is_not_transient()
    {
        await using var p = await DockerProject.StartAsync();

        var error = await Assert.ThrowsAsync<RuntimeException>(() => p.Runtime.StartAsync(p.Id("never-created"), DockerProject.Timeout()));

        Assert.False(error.Transient);
    }
}
