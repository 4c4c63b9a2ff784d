using Nanokit.Cli;
using Nanokit.Server.Api.V1;

namespace Nanokit.Server.Tests;

/// <summary>A heal whose create fails on the private dockerd: the reason reaches the status, nkapp status and the node's log.</summary>
public sealed class HealFailureTests(DockerNode docker) : IClassFixture<DockerNode>, IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("nanokit-heal-failure-").FullName;

    [Fact]
    public async Task A_heal_whose_create_fails_records_and_logs_the_reason_naming_the_service_and_the_replica()
    {
        var name = $"{docker.Prefix}-heal";
        var image = $"nanokit-test/{name}:1";
        await PrivateDocker.TagAsync("nanokit-test/busybox:1", image);
        File.WriteAllText(Path.Combine(directory, "nanokit.yml"), $"""
            name: {name}
            runtime: docker
            services:
              web:
                image: {image}
                command: [sh, -c, "trap 'exit 0' TERM; while :; do sleep 0.2; done"]
                network_mode: none
                pull_policy: never
                stop_grace_period: 1s
            """);
        string[] server = ["--server", docker.Node.Url, "--token", TestFiles.WriteToken];
        var up = await RunAsync([.. server, "up", "--timeout", "120s"]);
        Assert.True(up.Exit == 0, up.Out + up.Error + docker.Node.Output);

        // The image goes (its other name keeps it for the other tests), then the replica: the heal must create it from nothing.
        await PrivateDocker.UntagAsync(image);
        await PrivateDocker.RemoveAsync($"{name}-web-1");

        var reason = $"docker runtime: {name}/web-1: image {image} not present and pull_policy is never";
        var client = new Projects.ProjectsClient(docker.Node.Channel);
        await Eventually.Async(TimeSpan.FromSeconds(120), async () =>
        {
            var project = await client.GetProjectAsync(new GetProjectRequest { Project = name }, TestFiles.As(TestFiles.ReadToken));
            Assert.Equal("Failed", project.Phase);
            Assert.Contains("web: " + reason, project.Failures);
        });
        await Eventually.Async(TimeSpan.FromSeconds(60), async () =>
        {
            var status = await RunAsync([.. server, "status"]);
            Assert.Contains("  web: " + reason, status.Out);
        });
        Assert.Contains($"{name}/web: generation 1: CREATE web[1]: ", docker.Node.Output);
        Assert.Contains($"failed: {reason}", docker.Node.Output);
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private async Task<(int Exit, string Out, string Error)> RunAsync(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await Nkapp.RunAsync(args, new CliContext(stdout, stderr, directory, new Dictionary<string, string>()));
        return (exit, stdout.ToString(), stderr.ToString());
    }
}
