using System.Diagnostics;

namespace Nanokit.Cli.Tests;

/// <summary>
/// <c>nkapp pull</c> against the private dockerd and the private registry (<c>NANOKIT_TEST_REGISTRY</c>); fails, never
/// skips, when either is not there. The local runtime has nothing to pull and says so.
/// </summary>
public sealed class PullCommandTests : IDisposable
{
    private readonly CliRun cli = new();
    private readonly string tag = "pull" + Random.Shared.Next(10_000, 99_999);
    private readonly string registry = Environment.GetEnvironmentVariable("NANOKIT_TEST_REGISTRY") is { Length: > 0 } r ? r : "127.0.0.1:55000";
    private readonly Dictionary<string, string> environment = new()
    {
        ["DOCKER_HOST"] = TestDocker.Host,
    };

    public void Dispose()
    {
        Docker($"rmi -f {Image("a")} {Image("b")}");
        cli.Dispose();
    }

    private string Image(string name) => $"{registry}/nanokit-test/{tag}-{name}:1";

    [Fact]
    public async Task Pull_fetches_every_image_from_the_registry_skips_a_built_service_and_reports_a_missing_image()
    {
        foreach (var name in new[] { "a", "b" })
        {
            Assert.Equal(0, DockerExit($"tag nanokit-test/busybox:1 {Image(name)}"));
            Assert.True(DockerExit($"push {Image(name)}") == 0, $"cannot push to the private registry {registry} (scripts/registry.sh start)");
            Assert.Equal(0, DockerExit($"rmi {Image(name)}"));
        }

        cli.Write("nanokit.yml", $"""
            name: {tag}
            runtime: docker
            services:
              one:
                image: {Image("a")}
              two:
                image: {Image("b")}
              built:
                image: {tag}-built:1
                build: .
            """);
        cli.Write("Dockerfile", "FROM nanokit-test/busybox:1\n");
        var pull = await cli.RunAsync(environment, "pull");
        cli.Write("nanokit.yml", $"name: {tag}\nruntime: docker\nservices:\n  gone:\n    image: {registry}/nanokit-test/{tag}-missing:1\n  one:\n    image: {Image("a")}\n");
        var missing = await cli.RunAsync(environment, "pull");
        var ignored = await cli.RunAsync(environment, "pull", "--ignore-pull-failures");

        Assert.True(pull.Exit == 0, pull.Out + pull.Error);
        Assert.Equal(0, DockerExit($"image inspect {Image("a")}"));
        Assert.Equal(0, DockerExit($"image inspect {Image("b")}"));
        Assert.Contains($"one    pulled {Image("a")}", pull.Out);
        Assert.Contains($"two    pulled {Image("b")}", pull.Out);
        Assert.Contains("built  skipped: builds its image", pull.Out);
        Assert.Equal(1, missing.Exit);
        Assert.Contains($"gone  failed:", missing.Out);
        Assert.Contains($"{tag}: 1 of 2 images could not be pulled", missing.Error);
        Assert.True(ignored.Exit == 0, ignored.Out + ignored.Error);
        Assert.Contains("gone  failed:", ignored.Out);
    }

    [Fact]
    public async Task Pull_on_the_local_runtime_says_there_is_nothing_to_pull()
    {
        cli.Write("nanokit.yml", "name: pl\nservices:\n  web:\n    command: [sleep, \"1\"]\n");

        var (exit, output, error) = await cli.RunAsync("pull");

        Assert.True(exit == 0, output + error);
        Assert.Equal("pl: nothing to pull (runtime local runs commands, not images)\n", output);
    }

    private int DockerExit(string arguments)
    {
        using var docker = Process.Start(new ProcessStartInfo("sh", ["-c", $"docker -H {environment["DOCKER_HOST"]} {arguments}"]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        docker.StandardOutput.ReadToEnd();
        docker.StandardError.ReadToEnd();
        docker.WaitForExit();
        return docker.ExitCode;
    }

    private void Docker(string arguments) => DockerExit(arguments);
}
