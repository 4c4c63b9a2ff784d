using System.Collections.Immutable;
using System.Diagnostics;
using Nanokit.Core.Model;
using Nanokit.Runtime;

namespace Nanokit.Providers.Local.Tests;

/// <summary>
/// Active readiness on the local runtime: a replica its dependents wait for is probed at once and then often, so the gate
/// opens when the service is ready; the scheduled probes (interval, start_interval) alone count failures.
/// </summary>
public sealed class LocalReadinessTests
{
    // The first scheduled probe runs when first asked, the next one this long after: far beyond every wait below that must end early.
    private static readonly TimeSpan SlowInterval = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_waited_for_replica_is_healthy_when_its_check_first_passes_not_at_the_next_scheduled_probe()
    {
        await using var f = new LocalFixture();
        var ready = f.PathOf("ready");
        await f.Runtime.CreateAsync(f.Replica(ReadyAfter(f, "db", "0.5", Check(["CMD", "test", "-f", ready], SlowInterval))), default);
        var clock = Stopwatch.StartNew();

        // Without probes of its own while waiting, this wait would last until the second scheduled probe, 60 s away.
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        Assert.Equal(HealthStatus.Healthy, await f.Runtime.WaitForHealthAsync(f.Id("db"), bound.Token));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"ready only after {clock.Elapsed}");
    }

    [Fact]
    public async Task Start_interval_paces_the_scheduled_probes_during_the_start_period()
    {
        await using var f = new LocalFixture();
        var ready = f.PathOf("ready");
        var check = Check(["CMD", "test", "-f", ready], SlowInterval) with { StartPeriod = TimeSpan.FromSeconds(30), StartInterval = TimeSpan.FromMilliseconds(200) };
        await f.Runtime.CreateAsync(f.Replica(ReadyAfter(f, "db", "0.5", check)), default);

        // Plain polling, as status does: only scheduled probes run, every start_interval in the start period.
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        Assert.Equal(HealthStatus.Healthy, await f.Runtime.WaitForHealthAsync(f.Id("db"), TimeSpan.FromMilliseconds(50), bound.Token));
    }

    [Fact]
    public async Task A_check_that_always_fails_ends_unhealthy_only_after_its_retries_at_the_scheduled_pace()
    {
        await using var f = new LocalFixture();
        var interval = TimeSpan.FromMilliseconds(500);
        await f.Runtime.CreateAsync(f.Replica(LocalFixture.Service("db", "sleep", "30") with { Healthcheck = Check(["CMD", "false"], interval) with { Retries = 3 } }), default);
        var clock = Stopwatch.StartNew();

        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        Assert.Equal(HealthStatus.Unhealthy, await f.Runtime.WaitForHealthAsync(f.Id("db"), bound.Token));

        // The first scheduled probe runs at once, the third two intervals later; the many probes in between do not count.
        Assert.True(clock.Elapsed >= interval * 2, $"unhealthy already after {clock.Elapsed}");
    }

    [Fact]
    public async Task Probing_goes_on_while_a_replica_is_waited_for_and_stops_when_the_wait_ends()
    {
        await using var f = new LocalFixture();
        var probes = f.PathOf("probes");
        await f.Runtime.CreateAsync(f.Replica(LocalFixture.Service("db", "sleep", "30") with { Healthcheck = Check(["CMD-SHELL", $"echo x >> {probes}; false"], SlowInterval) }), default);

        using var giveUp = new CancellationTokenSource(TimeSpan.FromSeconds(1.5));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => f.Runtime.WaitForHealthAsync(f.Id("db"), giveUp.Token));
        var whileWaiting = Count(probes);

        // Long enough for more probes at the 1 s cap, had they gone on; the next scheduled one is 60 s away.
        await Task.Delay(TimeSpan.FromSeconds(2.5));

        Assert.True(whileWaiting >= 3, $"only {whileWaiting} probes while db was waited for");
        Assert.Equal(whileWaiting, Count(probes));
    }

    private static HealthcheckSpec Check(ImmutableArray<string> test, TimeSpan interval) =>
        new(test, interval, TimeSpan.FromSeconds(2), 3, TimeSpan.Zero, false);

    /// <summary>A service that creates <c>ready</c> in the fixture's directory once it has been up <paramref name="seconds"/>.</summary>
    private static ServiceSpec ReadyAfter(LocalFixture f, string name, string seconds, HealthcheckSpec check) =>
        LocalFixture.Service(name, "sh", "-c", $"sleep {seconds}; touch {f.PathOf("ready")}; exec sleep 30") with { Healthcheck = check };

    private static int Count(string file) => File.Exists(file) ? File.ReadAllLines(file).Length : 0;
}
