using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Nanokit.Cli.Tests;

/// <summary>
/// `up` gets ahead of its plan on the private dockerd (<c>NANOKIT_TEST_DOCKER_HOST</c>): the dependents of a service are
/// created while it becomes ready and started only once it is; a kill -9 in between leaves nothing the next `up` duplicates.
/// Fails, never skips, when the daemon is not there.
/// </summary>
public sealed partial class DockerOverlapTests : IDisposable
{
    private static readonly string Host = TestDocker.Host;

    private readonly CliRun cli = new();
    private readonly string project = "ov" + Random.Shared.Next(10_000, 99_999);
    private readonly Dictionary<string, string> environment = new() { ["DOCKER_HOST"] = Host };

    public void Dispose()
    {
        // Whatever a failed test left behind: the project's containers and networks carry its label.
        Docker("sh", "-c", $"docker -H {Host} ps -aq --filter label=io.nanokit.project={project} | xargs -r docker -H {Host} rm -f; "
            + $"docker -H {Host} network ls -q --filter label=io.nanokit.project={project} | xargs -r docker -H {Host} network rm");
        cli.Dispose();
    }

    [Fact]
    public async Task Up_creates_the_dependents_while_their_dependency_becomes_ready_and_starts_them_only_once_it_is()
    {
        const int readyAfter = 6;
        WriteProject($"sleep {readyAfter}");

        var up = await cli.RunAsync(environment, "up");

        Assert.True(up.Exit == 0, up.Out + up.Error);
        var dbReady = Inspect("db-1").Started.AddSeconds(readyAfter);
        foreach (var web in new[] { "web-1", "web-2" })
        {
            var (created, started) = Inspect(web);
            Assert.True(created < dbReady, $"{web} created at {created:O}, after db was ready at {dbReady:O}");
            Assert.True(started > dbReady, $"{web} started at {started:O}, before db was ready at {dbReady:O}");
        }
    }

    [Fact]
    public async Task After_a_kill_9_between_creating_the_dependents_and_starting_them_up_converges_with_exactly_the_replicas_wanted()
    {
        // db becomes ready only when the test says so (after the kill), so the first up is always caught in between.
        var signal = Path.Combine(cli.Directory, "signal");
        Directory.CreateDirectory(signal);
        WriteProject("until [ -f /signal/go ]; do sleep 0.2; done", $"    volumes: [\"{signal}:/signal\"]");
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = cli.Directory, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "nkapp.dll"));
        start.ArgumentList.Add("up");
        start.Environment["DOCKER_HOST"] = Host;
        using (var first = Process.Start(start)!)
        {
            var deadline = Stopwatch.StartNew();
            while (States().Count(s => s.Name.Contains("-web-", StringComparison.Ordinal)) < 2)
            {
                if (first.HasExited)
                {
                    Assert.Fail("the first up ended before its dependents were created: " + await first.StandardError.ReadToEndAsync());
                }

                Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(180), "the dependents were not created within 180 s");
                await Task.Delay(100);
            }

            first.Kill(entireProcessTree: true);
            await first.WaitForExitAsync();
        }

        Assert.Equal(["created", "created"], States().Where(s => s.Name.Contains("-web-", StringComparison.Ordinal)).Select(s => s.Status));
        await File.WriteAllTextAsync(Path.Combine(signal, "go"), "");

        var up = await cli.RunAsync(environment, "up");

        Assert.True(up.Exit == 0, up.Out + up.Error);
        Assert.Equal(
            [($"{project}-db-1", "running"), ($"{project}-web-1", "running"), ($"{project}-web-2", "running")],
            States().OrderBy(s => s.Name, StringComparer.Ordinal));
    }

    /// <summary>db runs <paramref name="untilReady"/>, then is ready; web (two replicas) waits for it to be healthy.</summary>
    private void WriteProject(string untilReady, string dbExtra = "") => cli.Write("nanokit.yml", $$$"""
        name: {{{project}}}
        runtime: docker
        services:
          db:
            image: nanokit-test/busybox:1
            command: [sh, -c, "{{{untilReady}}}; touch /tmp/ready; exec sleep 3600"]
            healthcheck: {test: [CMD, test, -f, /tmp/ready], interval: 30s, retries: 30}
            stop_grace_period: 1s
        {{{dbExtra}}}
          web:
            image: nanokit-test/busybox:1
            command: [sleep, "3600"]
            deploy: {replicas: 2}
            depends_on: {db: {condition: service_healthy}}
            stop_grace_period: 1s
        """);

    /// <summary>The project's containers (replicas and anything else carrying its label), by name and state.</summary>
    private List<(string Name, string Status)> States() =>
        Docker("docker", "-H", Host, "ps", "-a", "--filter", "label=io.nanokit.project=" + project, "--format", "{{.Names}} {{.State}}")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ') is [var name, var state] ? (name, state) : throw new InvalidOperationException(line))
            .ToList();

    /// <summary>When the daemon created and started the container, by its own clock.</summary>
    private (DateTimeOffset Created, DateTimeOffset Started) Inspect(string container)
    {
        var times = Docker("docker", "-H", Host, "inspect", "--format", "{{.Created}} {{.State.StartedAt}}", $"{project}-{container}").Trim().Split(' ');
        return (Time(times[0]), Time(times[1]));

        // Docker writes nanoseconds; .NET parses at most seven digits of a second.
        static DateTimeOffset Time(string text) => DateTimeOffset.Parse(Nanoseconds().Replace(text, "$1"), CultureInfo.InvariantCulture);
    }

    private static string Docker(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', args)}: {error} (is the private dockerd at {Host} running? scripts/test.sh starts it)");
        return output;
    }

    [GeneratedRegex(@"(\.\d{7})\d+")]
    private static partial Regex Nanoseconds();
}
