using Nanokit.Core.Model;
using Nanokit.Runtime;

namespace Nanokit.Providers.Docker.Tests;

/// <summary>
/// Pull policies against the private registry (scripts/registry.sh): each test pushes its own image there and removes it from
/// the daemon, so whether a create pulled is the daemon's to tell (its image and its event log).
/// </summary>
public sealed class DockerPullTests
{
    [Fact]
    public async Task Pull_policy_always_pulls_an_image_only_the_registry_has_reports_the_pull_and_pulls_again_when_present()
    {
        await using var p = await DockerProject.StartAsync();
        var image = await p.PushOwnImageAsync();
        var service = DockerProject.Service("web", image) with { PullPolicy = PullPolicy.Always };
        var reports = new Reports();

        var since = DateTimeOffset.UtcNow;
        var created = await p.Runtime.CreateAsync(p.Replica(service) with { Progress = reports }, DockerProject.Timeout());

        Assert.Equal(ReplicaState.Running, created.State);
        Assert.Equal(1, await DockerProject.PullsAsync(image, since));
        Assert.NotEmpty(reports.Lines);
        Assert.All(reports.Lines, line => Assert.Contains(image, line, StringComparison.Ordinal));
        Assert.StartsWith($"pulled {image}", reports.Lines[^1], StringComparison.Ordinal);

        since = DateTimeOffset.UtcNow;
        await p.Runtime.CreateAsync(p.Replica(service, replica: 2), DockerProject.Timeout());
        Assert.Equal(1, await DockerProject.PullsAsync(image, since));
    }

    [Fact]
    public async Task Pull_policy_missing_pulls_an_absent_image_and_not_one_the_daemon_has()
    {
        await using var p = await DockerProject.StartAsync();
        var image = await p.PushOwnImageAsync();
        var service = DockerProject.Service("web", image) with { PullPolicy = PullPolicy.Missing };

        var since = DateTimeOffset.UtcNow;
        var first = await p.Runtime.CreateAsync(p.Replica(service), DockerProject.Timeout());
        Assert.Equal(ReplicaState.Running, first.State);
        Assert.Equal(1, await DockerProject.PullsAsync(image, since));

        since = DateTimeOffset.UtcNow;
        var second = await p.Runtime.CreateAsync(p.Replica(service, replica: 2), DockerProject.Timeout());
        Assert.Equal(ReplicaState.Running, second.State);
        Assert.Equal(0, await DockerProject.PullsAsync(image, since));
    }

    [Fact]
    public async Task An_image_the_registry_does_not_have_fails_the_create_with_dockers_message_naming_it_and_leaves_no_container()
    {
        await using var p = await DockerProject.StartAsync();
        await DockerProject.RegistryAnswersAsync();
        var image = $"{DockerProject.Registry}/nanokit-test/{p.Project.Name}-absent:1";
        var service = DockerProject.Service("web", image) with { PullPolicy = PullPolicy.Always };

        var error = await Assert.ThrowsAsync<RuntimeException>(() => p.Runtime.CreateAsync(p.Replica(service), DockerProject.Timeout()));

        Assert.StartsWith($"docker runtime: {p.Project.Name}/web-1: cannot pull image {image}: ", error.Message, StringComparison.Ordinal);
        Assert.Contains($"manifest for {image} not found", error.Message, StringComparison.Ordinal);
        Assert.Empty(await p.ContainerNamesAsync());
    }

    /// <summary>Keeps what a create reports, as it reports it (System.Progress would post to the thread pool and arrive late).</summary>
    private sealed class Reports : IProgress<string>
    {
        public List<string> Lines { get; } = [];

        public void Report(string value) => Lines.Add(value);
    }
}
