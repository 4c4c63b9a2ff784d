using System.Diagnostics;
using System.Globalization;
using Nanokit.Core.Model;
using Nanokit.Runtime;

namespace Nanokit.Providers.Docker.Tests;

/// <summary>
/// Starts first (DockerRuntime.Starts.cs): readiness probes and creates ahead of their turn wait for the starts in flight.
/// The start held in flight here is one the test answers itself, so the tests say exactly when it ends; everything else is
/// the real daemon.
/// </summary>
public sealed class DockerStartsFirstTests
{
    private static readonly TimeSpan SlowInterval = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_readiness_probe_waits_until_the_starts_in_flight_are_answered()
    {
        await using var p = await DockerProject.StartAsync();
        await p.Runtime.CreateAsync(p.Replica(ReadyAtOnce("db")), DockerProject.Timeout());
        var answer = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var start = p.Runtime.StartingAsync(() => answer.Task);
        var since = DateTimeOffset.UtcNow;

        var healthy = p.Runtime.WaitForHealthAsync(p.Id("db"), DockerProject.Timeout());
        await Task.Delay(TimeSpan.FromSeconds(1.5));

        // Ready from the start, so a probe would have passed at once: the wait is still open only because none ran.
        Assert.False(healthy.IsCompleted, "a probe ran while a start was in flight");
        Assert.Equal(0, await ExecsAsync(p, "db", since));
        var answered = Stopwatch.StartNew();
        answer.SetResult();
        await start;
        Assert.Equal(HealthStatus.Healthy, await healthy);
        Assert.True(answered.Elapsed < TimeSpan.FromSeconds(10), $"healthy only {answered.Elapsed} after the start was answered");
    }

    [Fact]
    public async Task A_start_that_is_not_answered_holds_probes_no_longer_than_the_limit()
    {
        await using var p = await DockerProject.StartAsync(new DockerRuntimeOptions { StartsFirstLimit = TimeSpan.FromSeconds(1) });
        await p.Runtime.CreateAsync(p.Replica(ReadyAtOnce("db")), DockerProject.Timeout());
        var never = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = p.Runtime.StartingAsync(() => never.Task);
        var clock = Stopwatch.StartNew();

        // The daemon's own first probe is 30 s away, past this wait's 20 s bound: only our probe, after the limit, can pass.
        Assert.Equal(HealthStatus.Healthy, await p.Runtime.WaitForHealthAsync(p.Id("db"), DockerProject.Timeout(20)));

        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(1), $"healthy after {clock.Elapsed}, before the limit");
        never.SetResult();
    }

    [Fact]
    public async Task Creates_ahead_of_their_turn_wait_until_the_starts_in_flight_are_answered()
    {
        await using var p = await DockerProject.StartAsync();
        var answer = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var start = p.Runtime.StartingAsync(() => answer.Task);
        var web = DockerProject.Service("web") with { Replicas = 2 };

        var prepared = p.Runtime.PrepareAsync([p.Replica(web, 1), p.Replica(web, 2)], DockerProject.Timeout());
        await Task.Delay(TimeSpan.FromSeconds(1.5));

        Assert.False(prepared.IsCompleted, "creates ahead went on while a start was in flight");
        Assert.Empty(await p.ContainerNamesAsync());
        answer.SetResult();
        await start;
        await prepared;
        Assert.Equal([p.Project.Name + "-web-1", p.Project.Name + "-web-2"], await p.ContainerNamesAsync());
    }

    /// <summary>A service whose healthcheck passes from its first moment, probed by the daemon only every 30 s.</summary>
    private static ServiceSpec ReadyAtOnce(string name) => DockerProject.Service(name) with
    {
        Healthcheck = new HealthcheckSpec(["CMD", "true"], SlowInterval, TimeSpan.FromSeconds(2), 3, TimeSpan.Zero, false),
    };

    /// <summary>How many execs the daemon started (spawned a process for) in the service's replica 1 from <paramref name="since"/> until now, by its event log.</summary>
    private static async Task<int> ExecsAsync(DockerProject p, string service, DateTimeOffset since)
    {
        var actions = await DockerProject.DockerCliAsync(
            "events", "--since", UnixTime(since), "--until", UnixTime(DateTimeOffset.UtcNow), "--filter", "type=container",
            "--filter", "container=" + ContainerDefinition.ContainerName(p.Id(service)), "--format", "{{.Action}}");
        return actions.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(a => a.StartsWith("exec_start", StringComparison.Ordinal));
    }

    private static string UnixTime(DateTimeOffset time) => (time.ToUnixTimeMilliseconds() / 1000.0).ToString("F3", CultureInfo.InvariantCulture);
}
