using System.Diagnostics;
using System.Globalization;
using Nanokit.Core.Model;
using Nanokit.Runtime;

namespace Nanokit.Providers.Docker.Tests;

/// <summary>Active readiness: Nanokit runs a waited-for replica's healthcheck itself, so only success comes earlier.</summary>
public sealed class DockerReadinessTests
{
    // The daemon's first scheduled probe is this far after start: far beyond every wait below that must end early.
    private static readonly TimeSpan SlowInterval = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_replica_is_ready_when_its_own_healthcheck_first_passes_not_when_the_daemon_first_probes()
    {
        await using var p = await DockerProject.StartAsync();
        var service = ReadyAfter("db", "0.3", SlowInterval);
        var clock = Stopwatch.StartNew();
        await p.Runtime.CreateAsync(p.Replica(service), DockerProject.Timeout());

        // Without our own probe this wait would last until the daemon's first probe, 30 s after start, past its 20 s bound.
        Assert.Equal(HealthStatus.Healthy, await p.Runtime.WaitForHealthAsync(p.Id("db"), DockerProject.Timeout(20)));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"ready only after {clock.Elapsed}");
        // What status and drift read is still the daemon's own verdict, which has not probed yet.
        Assert.Equal(HealthStatus.Starting, await p.Runtime.ProbeHealthAsync(p.Id("db"), DockerProject.Timeout()));
    }

    [Theory]
    [InlineData("CMD", "test", "-f", "/tmp/ok *;$HOME")]
    [InlineData("CMD-SHELL", "test -f '/tmp/ok *;$HOME'")]
    public async Task A_CMD_test_runs_with_its_arguments_as_given_and_a_CMD_SHELL_test_in_a_shell(params string[] test)
    {
        await using var p = await DockerProject.StartAsync();
        var service = DockerProject.Service("db") with
        {
            Command = ["sh", "-c", "trap 'exit 0' TERM; sleep 0.3; touch '/tmp/ok *;$HOME'; while :; do sleep 0.2; done"],
            Healthcheck = new HealthcheckSpec([.. test], SlowInterval, TimeSpan.FromSeconds(2), 3, TimeSpan.Zero, false),
        };
        await p.Runtime.CreateAsync(p.Replica(service), DockerProject.Timeout());

        // Split again or expanded by a shell, the CMD test would name other files and never pass before the daemon's first probe.
        Assert.Equal(HealthStatus.Healthy, await p.Runtime.WaitForHealthAsync(p.Id("db"), DockerProject.Timeout(20)));
    }

    [Fact]
    public async Task A_healthcheck_that_always_fails_still_ends_unhealthy_only_after_the_daemons_retries()
    {
        await using var p = await DockerProject.StartAsync();
        var interval = TimeSpan.FromMilliseconds(500);
        const int retries = 3;
        var service = DockerProject.Service("db") with
        {
            Healthcheck = new HealthcheckSpec(["CMD", "false"], interval, TimeSpan.FromSeconds(2), retries, TimeSpan.Zero, false),
        };
        var clock = Stopwatch.StartNew();
        await p.Runtime.CreateAsync(p.Replica(service), DockerProject.Timeout());

        Assert.Equal(HealthStatus.Unhealthy, await p.Runtime.WaitForHealthAsync(p.Id("db"), DockerProject.Timeout()));

        // The daemon probes first one interval after start and gives up after `retries` failures in a row.
        Assert.True(clock.Elapsed >= interval * retries, $"unhealthy already after {clock.Elapsed}");
    }

    [Fact]
    public async Task A_run_that_passes_only_after_the_healthchecks_timeout_is_not_a_success()
    {
        await using var p = await DockerProject.StartAsync();
        var service = DockerProject.Service("db") with
        {
            Healthcheck = new HealthcheckSpec(["CMD-SHELL", "sleep 1.5"], SlowInterval, TimeSpan.FromSeconds(1), 3, TimeSpan.Zero, false),
        };
        await p.Runtime.CreateAsync(p.Replica(service), DockerProject.Timeout());

        using var giveUp = new CancellationTokenSource(TimeSpan.FromSeconds(6));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => p.Runtime.WaitForHealthAsync(p.Id("db"), giveUp.Token));
        Assert.Equal("", await ProbingLeftAsync(p, "db"));
    }

    [Fact]
    public async Task A_waited_for_replica_is_probed_by_one_exec_however_long_it_is_waited_for()
    {
        await using var p = await DockerProject.StartAsync();
        var since = DateTimeOffset.UtcNow;
        await p.Runtime.CreateAsync(p.Replica(ReadyAfter("db", "3", SlowInterval)), DockerProject.Timeout());

        Assert.Equal(HealthStatus.Healthy, await p.Runtime.WaitForHealthAsync(p.Id("db"), DockerProject.Timeout(20)));

        // The test ran many times in those 3 s, all inside the one exec; an exec per run meant one every 50 ms to 1 s.
        Assert.Equal(1, await ExecsAsync(p, "db", since, DateTimeOffset.UtcNow));
    }

    [Fact]
    public async Task Nothing_of_the_probing_is_left_running_once_the_wait_ends_by_success_or_by_cancellation()
    {
        await using var p = await DockerProject.StartAsync();
        var ready = ReadyAfter("db", "0.3", SlowInterval);

        // Each run of this test outlives the wait: cancelling the wait must end the run in progress, not only stop reading it.
        var hanging = DockerProject.Service("web") with
        {
            Healthcheck = new HealthcheckSpec(["CMD", "sleep", "3600"], SlowInterval, SlowInterval, 3, TimeSpan.Zero, false),
        };
        await p.Runtime.CreateAsync(p.Replica(ready), DockerProject.Timeout());
        await p.Runtime.CreateAsync(p.Replica(hanging), DockerProject.Timeout());

        Assert.Equal(HealthStatus.Healthy, await p.Runtime.WaitForHealthAsync(p.Id("db"), DockerProject.Timeout()));
        using var giveUp = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => p.Runtime.WaitForHealthAsync(p.Id("web"), giveUp.Token));

        Assert.Equal("", await ProbingLeftAsync(p, "db"));
        Assert.Equal("", await ProbingLeftAsync(p, "web"));
    }

    /// <summary>A service whose healthcheck passes once it has been up <paramref name="seconds"/>, probed by the daemon every <paramref name="interval"/>.</summary>
    private static ServiceSpec ReadyAfter(string name, string seconds, TimeSpan interval) => DockerProject.Service(name) with
    {
        Command = ["sh", "-c", $"trap 'exit 0' TERM; sleep {seconds}; touch /tmp/ok; while :; do sleep 0.2; done"],
        Healthcheck = new HealthcheckSpec(["CMD-SHELL", "test -f /tmp/ok"], interval, TimeSpan.FromSeconds(2), 3, TimeSpan.Zero, false),
    };

    /// <summary>How many execs the daemon created in the service's replica 1 between the two moments, by its event log.</summary>
    private static async Task<int> ExecsAsync(DockerProject p, string service, DateTimeOffset since, DateTimeOffset until)
    {
        var actions = await DockerProject.DockerCliAsync(
            "events", "--since", UnixTime(since), "--until", UnixTime(until), "--filter", "type=container",
            "--filter", "container=" + ContainerDefinition.ContainerName(p.Id(service)), "--format", "{{.Action}}");
        return actions.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(a => a.StartsWith("exec_create", StringComparison.Ordinal));
    }

    /// <summary>
    /// The processes still running in the service's replica 1 besides its own (its command and the sleeps of its loop) and
    /// ps, once they have had up to 10 s to end: what is left of the probing (the loop, a run, its timer); "" when none is.
    /// Zombies do not count: the replica's init (a shell) need not reap orphans.
    /// </summary>
    private static async Task<string> ProbingLeftAsync(DockerProject p, string service)
    {
        var container = ContainerDefinition.ContainerName(p.Id(service));
        var left = "";
        for (var deadline = DateTimeOffset.UtcNow.AddSeconds(10); DateTimeOffset.UtcNow < deadline; await Task.Delay(200))
        {
            var processes = await DockerProject.DockerCliAsync("exec", container, "ps", "-o", "stat,args");
            left = string.Join('\n', processes.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(line => line.Trim()).Where(line =>
                !line.StartsWith('Z') && !line.Contains("trap 'exit 0' TERM", StringComparison.Ordinal)
                && !line.EndsWith("sleep 0.2", StringComparison.Ordinal) && !line.Contains(" ps -o", StringComparison.Ordinal)));
            if (left.Length == 0)
            {
                break;
            }
        }

        return left;
    }

    private static string UnixTime(DateTimeOffset time) => (time.ToUnixTimeMilliseconds() / 1000.0).ToString("F3", CultureInfo.InvariantCulture);
}
