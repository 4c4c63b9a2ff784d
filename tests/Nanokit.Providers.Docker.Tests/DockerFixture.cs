using System.Diagnostics;
using System.Globalization;
using Nanokit.Core.Model;
using Nanokit.Runtime;

namespace Nanokit.Providers.Docker.Tests;

/// <summary>
/// One test project on the private daemon (scripts/dockerd.sh): a unique project name, a runtime, and cleanup of every
/// container it holds. A daemon that does not answer fails the test: these tests never skip.
/// </summary>
internal sealed class DockerProject : IAsyncDisposable
{
    public const string Image1 = "nanokit-test/busybox:1";
    public const string Image2 = "nanokit-test/busybox:2";

    public static readonly string Host = TestDocker.Host;

    /// <summary>The private registry (scripts/registry.sh url), the prefix of the images the pull tests push.</summary>
    public static readonly string Registry =
        Environment.GetEnvironmentVariable("NANOKIT_TEST_REGISTRY") is { Length: > 0 } registry ? registry : "127.0.0.1:55000";

    private readonly List<string> _pushed = [];

    private DockerProject(DockerRuntime runtime, ProjectRef project)
    {
        Runtime = runtime;
        Project = project;
    }

    public DockerRuntime Runtime { get; }

    public ProjectRef Project { get; }

    /// <param name="options">Settings besides the endpoint, which is always the private daemon's.</param>
    public static async Task<DockerProject> StartAsync(DockerRuntimeOptions? options = null)
    {
        var runtime = new DockerRuntime((options ?? new DockerRuntimeOptions()) with { Endpoint = DockerEndpoint.Parse(Host) });
        try
        {
            await runtime.ConnectAsync("test", Timeout()).ConfigureAwait(false);
        }
        catch (RuntimeException e)
        {
            runtime.Dispose();
            throw new InvalidOperationException($"the private dockerd at {Host} does not answer: run scripts/test.sh (or scripts/dockerd.sh start). {e.Message}", e);
        }

        var directory = Directory.CreateTempSubdirectory("nanokit-docker-test-").FullName;
        return new DockerProject(runtime, new ProjectRef("nk" + Guid.NewGuid().ToString("N")[..10], directory));
    }

    /// <summary>A long-running service that exits at once on SIGTERM (a bare sleep as PID 1 would ignore it).</summary>
    public static ServiceSpec Service(string name, string image = Image1) => new()
    {
        Name = name,
        Image = image,
        Command = ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.2; done"],
        StopGracePeriod = TimeSpan.FromSeconds(2),
        PullPolicy = PullPolicy.Never,
    };

    public ReplicaSpec Replica(ServiceSpec service, int replica = 1, string hash = "h1", long generation = 1) =>
        new(Project, service, replica, hash, generation);

    public ReplicaId Id(string service, int replica = 1) => new(Project, service, replica);

    public static CancellationToken Timeout(int seconds = 30) => new CancellationTokenSource(TimeSpan.FromSeconds(seconds)).Token;

    /// <summary>
    /// Pushes <see cref="Image1"/> to the private registry under this project's own name and removes that name from the daemon,
    /// so only a pull brings it back; no other test uses the name, so tests need no order. A registry that does not answer fails the test.
    /// </summary>
    public async Task<string> PushOwnImageAsync()
    {
        var image = $"{Registry}/nanokit-test/{Project.Name}:1";
        _pushed.Add(image);
        await DockerCliAsync("tag", Image1, image).ConfigureAwait(false);
        var (exitCode, _, error) = await TryDockerCliAsync("push", image).ConfigureAwait(false);
        Assert.True(exitCode == 0, $"cannot push {image} to the private registry: run scripts/test.sh (or scripts/registry.sh start). {error}");
        await DockerCliAsync("rmi", image).ConfigureAwait(false);
        return image;
    }

    /// <summary>Fails the test unless the private registry answers (a pull from one that is down fails for another reason).</summary>
    public static async Task RegistryAnswersAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        try
        {
            using var response = await http.GetAsync(new Uri($"http://{Registry}/v2/")).ConfigureAwait(false);
            response.EnsureSuccessStatusCode();
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            Assert.Fail($"the private registry at {Registry} does not answer: run scripts/test.sh (or scripts/registry.sh start). {e.Message}");
        }
    }

    /// <summary>
    /// How many times the daemon pulled <paramref name="image"/> from <paramref name="since"/> until now, by its event log.
    /// A pull's event is logged before the pull's answer ends, so a pull that <c>CreateAsync</c> awaited is counted.
    /// </summary>
    public static async Task<int> PullsAsync(string image, DateTimeOffset since)
    {
        var ids = await DockerCliAsync(
            "events", "--since", UnixTime(since), "--until", UnixTime(DateTimeOffset.UtcNow),
            "--filter", "type=image", "--filter", "event=pull", "--format", "{{.Actor.ID}}").ConfigureAwait(false);
        return ids.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(id => id == image);
    }

    private static string UnixTime(DateTimeOffset time) => (time.ToUnixTimeMilliseconds() / 1000.0).ToString("F3", CultureInfo.InvariantCulture);

    /// <summary>Polls <paramref name="condition"/> until it holds or the deadline passes.</summary>
    public static async Task<T> EventuallyAsync<T>(Func<Task<T>> probe, Func<T, bool> condition, int seconds = 20)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var value = await probe().ConfigureAwait(false);
            if (condition(value) || deadline.Elapsed > TimeSpan.FromSeconds(seconds))
            {
                return value;
            }

            await Task.Delay(100).ConfigureAwait(false);
        }
    }

    /// <summary>Runs the docker CLI against the private daemon, as a person changing things by hand would.</summary>
    public static async Task<string> DockerCliAsync(params string[] args)
    {
        var (exitCode, output, error) = await TryDockerCliAsync(args).ConfigureAwait(false);
        Assert.True(exitCode == 0, $"docker {string.Join(' ', args)} failed: {error}");
        return output;
    }

    public static Task<(int ExitCode, string Output, string Error)> TryDockerCliAsync(params string[] args) => TestDocker.RunAsync(Host, args);

    /// <summary>Names of the project's containers (replicas, successors, hook containers), sorted.</summary>
    public async Task<string[]> ContainerNamesAsync(string filter = "") =>
        (await DockerCliAsync("ps", "-a", "--filter", "label=io.nanokit.project=" + Project.Name, "--filter", "name=" + Project.Name + "-" + filter, "--format", "{{.Names}}").ConfigureAwait(false))
        .Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal).ToArray();

    /// <summary>Names of the project's networks.</summary>
    public async Task<string[]> NetworkNamesAsync() =>
        (await DockerCliAsync("network", "ls", "--filter", "label=io.nanokit.project=" + Project.Name, "--format", "{{.Name}}").ConfigureAwait(false))
        .Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Deletes every replica through the runtime, then whatever a failed test left (hook containers, successors, the network, pulled images).</summary>
    public async ValueTask DisposeAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var observed = await Runtime.ObserveAsync(Project, cts.Token).ConfigureAwait(false);
        await Task.WhenAll(observed.Replicas.Select(r => Runtime.DeleteAsync(Id(r.Service, r.Replica), null, cts.Token))).ConfigureAwait(false);
        Runtime.Dispose();
        var (_, leftovers, _) = await TryDockerCliAsync("ps", "-aq", "--filter", "label=io.nanokit.project=" + Project.Name).ConfigureAwait(false);
        if (leftovers.Split('\n', StringSplitOptions.RemoveEmptyEntries) is { Length: > 0 } containers)
        {
            await TryDockerCliAsync(["rm", "-f", .. containers]).ConfigureAwait(false);
        }

        foreach (var network in await NetworkNamesAsync().ConfigureAwait(false))
        {
            await TryDockerCliAsync("network", "rm", network).ConfigureAwait(false);
        }

        foreach (var image in _pushed)
        {
            await TryDockerCliAsync("rmi", image).ConfigureAwait(false);
        }

        Directory.Delete(Project.Directory, recursive: true);
    }
}
