using Nanokit.Core.Model;
using Nanokit.Runtime;

namespace Nanokit.Providers.Docker.Tests;

/// <summary><c>healthcheck.start_interval</c> goes into the create body only in a dialect that has it (API 1.44 and later).</summary>
public sealed class StartIntervalTests
{
    private static readonly ReplicaSpec Replica = new(
        new ProjectRef("si", "/tmp"),
        DockerProject.Service("web") with
        {
            Healthcheck = new HealthcheckSpec(["CMD", "true"], TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(2), 3, TimeSpan.FromSeconds(20), false) { StartInterval = TimeSpan.FromSeconds(1) },
        },
        1,
        "hash",
        1);

    [Theory]
    [InlineData("1.44")]
    [InlineData("1.45")]
    public void The_create_body_carries_start_interval_when_the_negotiated_version_has_it(string version) =>
        Assert.Equal(TimeSpan.FromSeconds(1), ContainerDefinition.For(Replica, Version.Parse(version)).Healthcheck!.StartInterval);

    [Theory]
    [InlineData("1.41")]
    [InlineData("1.43")]
    [InlineData(null)]
    public void The_create_body_leaves_start_interval_out_for_an_older_dialect_or_before_negotiation(string? version)
    {
        var health = ContainerDefinition.For(Replica, version is null ? null : Version.Parse(version)).Healthcheck!;
        Assert.Null(health.StartInterval);
        Assert.Equal(TimeSpan.FromSeconds(30), health.Interval);
    }

    [Fact]
    public async Task The_private_dockerd_speaks_1_41_so_start_interval_is_not_sent_there()
    {
        await using var docker = await DockerProject.StartAsync();
        var version = await docker.Runtime.ConnectAsync("si", CancellationToken.None);

        Assert.Equal("1.41", version);
        Assert.Null(ContainerDefinition.For(Replica, Version.Parse(version)).Healthcheck!.StartInterval);
    }
}
