using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;

namespace Nanokit.Server.Tests;

/// <summary>
/// The private dockerd scripts/test.sh starts (<c>NANOKIT_TEST_DOCKER_HOST</c>) and its test images: projects for
/// nodes that run them there, and what the daemon holds, read with the docker CLI (the tests drive the nodes only
/// through the API and nkapp; they look at the daemon, and remove a container by hand, as an operator would).
/// </summary>
internal static class PrivateDocker
{
    /// <summary>What a node needs to reach the daemon.</summary>
    public static IReadOnlyDictionary<string, string> NodeEnvironment => new Dictionary<string, string> { ["DOCKER_HOST"] = TestDocker.Host };

    /// <summary>
    /// Two services on the test images, no network (nothing to create or clean up but the containers). Each version
    /// is a new definition of <c>api</c> (image :1 for odd versions, :2 for even ones, and its environment), so a new
    /// version recreates api and leaves db as it is. The loop exits at once on SIGTERM.
    /// </summary>
    public static string Project(string name, int version = 1) => $"""
        name: {name}
        runtime: docker
        services:
          db:
            image: nanokit-test/busybox:1
            command: [sh, -c, "trap 'exit 0' TERM; while :; do sleep 0.2; done"]
            network_mode: none
            pull_policy: never
            stop_grace_period: 2s
          api:
            image: nanokit-test/busybox:{(version % 2 == 1 ? 1 : 2)}
            command: [sh, -c, "trap 'exit 0' TERM; while :; do sleep 0.2; done"]
            environment: {"{"}VERSION: "{version}"{"}"}
            network_mode: none
            pull_policy: never
            stop_grace_period: 2s
            depends_on: [db]
        """;

    /// <summary>The project's running containers: container name → id.</summary>
    public static async Task<ImmutableSortedDictionary<string, string>> RunningAsync(string project)
    {
        var output = await DockerAsync("ps", "--filter", $"label=io.nanokit.project={project}", "--format", "{{.Names}} {{.ID}}", "--no-trunc");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' '))
            .ToImmutableSortedDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
    }

    /// <summary>The image a container was created from.</summary>
    public static async Task<string> ImageOfAsync(string container) =>
        (await DockerAsync("inspect", "--format", "{{.Config.Image}}", container)).Trim();

    public static Task RemoveAsync(string container) => DockerAsync("rm", "-f", container);

    /// <summary>Gives <paramref name="image"/> another name, <paramref name="alias"/> (an image a test may take away).</summary>
    public static Task TagAsync(string image, string alias) => DockerAsync("tag", image, alias);

    /// <summary>Removes the name <paramref name="alias"/>; the image stays under its other names, and containers of it run on.</summary>
    public static Task UntagAsync(string alias) => DockerAsync("rmi", alias);

    /// <summary>
    /// What the daemon recorded about <paramref name="container"/> (a name matches its successive containers, an id only that one) from
    /// <paramref name="since"/> until now, oldest first: its kill signals, deaths and exit codes, at the daemon's times.
    /// </summary>
    public static async Task<ImmutableArray<DaemonEvent>> EventsAsync(string container, DateTimeOffset since)
    {
        var output = await DockerAsync(
            "events", "--since", since.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), "--until", DateTimeOffset.UtcNow.AddSeconds(1).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
            "--filter", "type=container", "--filter", $"container={container}", "--format", "{{json .}}");
        return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line =>
        {
            using var json = JsonDocument.Parse(line);
            var attributes = json.RootElement.GetProperty("Actor").GetProperty("Attributes");
            return new DaemonEvent(
                json.RootElement.GetProperty("Action").GetString()!,
                DateTimeOffset.UnixEpoch.AddTicks(json.RootElement.GetProperty("timeNano").GetInt64() / 100),
                attributes.TryGetProperty("signal", out var signal) ? signal.GetString() : null,
                attributes.TryGetProperty("exitCode", out var exit) ? exit.GetString() : null);
        })];
    }

    /// <summary>Removes every container of every project whose name starts with <paramref name="prefix"/> (what tests leave).</summary>
    public static async Task RemoveProjectsAsync(string prefix)
    {
        var output = await DockerAsync("ps", "-a", "--format", "{{.Label \"io.nanokit.project\"}} {{.ID}}");
        var ids = output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' '))
            .Where(p => p.Length == 2 && p[0].StartsWith(prefix, StringComparison.Ordinal))
            .Select(p => p[1])
            .ToList();
        if (ids.Count > 0)
        {
            await DockerAsync(["rm", "-f", .. ids]);
        }
    }

    private static async Task<string> DockerAsync(params string[] args)
    {
        var (exit, output, errors) = await TestDocker.RunAsync(TestDocker.Host, args);
        Assert.True(exit == 0, $"docker {string.Join(' ', args)} exited {exit} (is the private dockerd at {TestDocker.Host} running? scripts/dockerd.sh start): {errors}");
        return output;
    }
}

/// <summary>One event of the daemon's log: <c>kill</c> (with the signal), <c>die</c> (with the exit code), <c>destroy</c>...</summary>
internal sealed record DaemonEvent(string Action, DateTimeOffset At, string? Signal, string? ExitCode);
