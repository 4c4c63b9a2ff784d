using System.Collections.Immutable;
using System.Diagnostics;
using Nanokit.Core.Model;
using Nanokit.Runtime.Simulated;

namespace Nanokit.Runtime.Tests;

public sealed class SimulatedRuntimeTests
{
    private static readonly ProjectRef Project = new("shop", "/nowhere");
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(10);

    private static ServiceSpec Service(string name, bool healthcheck = false) => new()
    {
        Name = name,
        Command = ["serve"],
        Healthcheck = healthcheck
            ? new HealthcheckSpec(["CMD", "check"], TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), 3, TimeSpan.Zero, false)
            : null,
    };

    private static ReplicaSpec Replica(ServiceSpec service, int n = 1, string hash = "h1") => new(Project, service, n, hash, 1);

    [Fact]
    public async Task Created_replicas_are_observed_running_with_their_labels()
    {
        var runtime = new SimulatedRuntime();
        await runtime.CreateAsync(Replica(Service("web"), 2, "abc"), default);
        await runtime.CreateAsync(Replica(Service("db")), default);

        var observed = await runtime.ObserveAsync(Project, default);

        Assert.Equal([("db", 1), ("web", 2)], observed.Replicas.Select(r => (r.Service, r.Replica)));
        Assert.All(observed.Replicas, r => Assert.Equal(ReplicaState.Running, r.State));
        Assert.Equal("abc", observed.Replicas[1].ConfigHash);
        Assert.Empty((await runtime.ObserveAsync(new ProjectRef("other", "/nowhere"), default)).Replicas);
    }

    [Fact]
    public async Task Create_is_idempotent_for_the_same_hash()
    {
        var runtime = new SimulatedRuntime();
        var first = await runtime.CreateAsync(Replica(Service("web")), default);
        var again = await runtime.CreateAsync(Replica(Service("web")), default);
        var replaced = await runtime.CreateAsync(Replica(Service("web"), hash: "h2"), default);

        Assert.Equal(first.Id, again.Id);
        Assert.NotEqual(first.Id, replaced.Id);
        Assert.Single((await runtime.ObserveAsync(Project, default)).Replicas);
    }

    [Fact]
    public async Task Latency_delays_every_mutating_call()
    {
        var runtime = new SimulatedRuntime(new SimulatedRuntimeOptions { Latency = TimeSpan.FromMilliseconds(150) });
        var clock = Stopwatch.StartNew();
        await runtime.CreateAsync(Replica(Service("web")), default);
        await runtime.DeleteAsync(new ReplicaId(Project, "web", 1), null, default);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(290), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task Failure_rate_injects_failures_reproducibly_from_the_seed()
    {
        async Task<int> FailuresAsync(int seed)
        {
            var runtime = new SimulatedRuntime(new SimulatedRuntimeOptions { FailureRate = 0.3, Seed = seed });
            var failures = 0;
            for (var i = 1; i <= 200; i++)
            {
                try
                {
                    await runtime.CreateAsync(Replica(Service("web"), i), default);
                }
                catch (RuntimeException e)
                {
                    Assert.Contains($"shop/web-{i}", e.Message, StringComparison.Ordinal);
                    failures++;
                }
            }

            Assert.Equal(failures, runtime.Stats.InjectedFailures);
            return failures;
        }

        var first = await FailuresAsync(7);
        Assert.InRange(first, 30, 90);
        Assert.Equal(first, await FailuresAsync(7));
    }

    [Fact]
    public async Task Health_turns_healthy_after_the_configured_delay()
    {
        var runtime = new SimulatedRuntime(new SimulatedRuntimeOptions { HealthDelay = TimeSpan.FromMilliseconds(300) });
        await runtime.CreateAsync(Replica(Service("db", healthcheck: true)), default);
        await runtime.CreateAsync(Replica(Service("web")), default);
        var db = new ReplicaId(Project, "db", 1);

        var clock = Stopwatch.StartNew();
        Assert.Equal(HealthStatus.Starting, await runtime.ProbeHealthAsync(db, default));
        Assert.Equal(HealthStatus.None, await runtime.ProbeHealthAsync(new ReplicaId(Project, "web", 1), default));
        using var cts = new CancellationTokenSource(Within);
        Assert.Equal(HealthStatus.Healthy, await runtime.WaitForHealthAsync(db, TimeSpan.FromMilliseconds(10), cts.Token));
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(250), $"healthy after {clock.Elapsed}");
    }

    [Fact]
    public async Task Scripted_behaviours_fail_creates_stay_unhealthy_and_complete_with_an_exit_code()
    {
        var runtime = new SimulatedRuntime(new SimulatedRuntimeOptions
        {
            Services = ImmutableDictionary<string, SimulatedServiceBehavior>.Empty
                .Add("broken", new SimulatedServiceBehavior(FailCreate: true))
                .Add("sick", new SimulatedServiceBehavior(NeverHealthy: true))
                .Add("migrate", new SimulatedServiceBehavior(ExitAfter: TimeSpan.FromMilliseconds(100), ExitCode: 3)),
        });

        await Assert.ThrowsAsync<RuntimeException>(() => runtime.CreateAsync(Replica(Service("broken")), default));
        await runtime.CreateAsync(Replica(Service("sick", healthcheck: true)), default);
        Assert.Equal(HealthStatus.Unhealthy, await runtime.ProbeHealthAsync(new ReplicaId(Project, "sick", 1), default));

        await runtime.CreateAsync(Replica(Service("migrate")), default);
        using var cts = new CancellationTokenSource(Within);
        Assert.Equal(3, await runtime.WaitForCompletionAsync(new ReplicaId(Project, "migrate", 1), cts.Token));
        var observed = (await runtime.ObserveAsync(Project, default)).Replicas.Single(r => r.Service == "migrate");
        Assert.Equal((ReplicaState.Exited, 3), (observed.State, observed.ExitCode));
    }

    [Fact]
    public async Task Drift_by_hand_is_published_on_the_watch_stream()
    {
        var runtime = new SimulatedRuntime();
        await runtime.CreateAsync(Replica(Service("web")), default);
        await runtime.CreateAsync(Replica(Service("db")), default);
        using var cts = new CancellationTokenSource(Within);
        await using var changes = runtime.WatchAsync(Project, cts.Token).GetAsyncEnumerator(cts.Token);
        var first = changes.MoveNextAsync().AsTask();

        Assert.True(runtime.Crash(new ReplicaId(Project, "web", 1), 1));
        Assert.True(await first);
        Assert.Equal(("web", ReplicaState.Exited, (int?)1), (changes.Current.Replica.Service, changes.Current.Replica.State, changes.Current.Replica.ExitCode));

        Assert.True(runtime.Remove(new ReplicaId(Project, "db", 1)));
        Assert.True(await changes.MoveNextAsync());
        Assert.Equal(("db", ReplicaState.Missing), (changes.Current.Replica.Service, changes.Current.Replica.State));

        var restarted = await runtime.StartAsync(new ReplicaId(Project, "web", 1), default);
        Assert.Equal(ReplicaState.Running, restarted.State);
    }

    [Fact]
    public async Task Hooks_succeed_unless_scripted_to_fail()
    {
        var runtime = new SimulatedRuntime(new SimulatedRuntimeOptions
        {
            Services = ImmutableDictionary<string, SimulatedServiceBehavior>.Empty.Add("bad", new SimulatedServiceBehavior(FailHooks: true)),
        });
        var hook = new Hook(["migrate"], HookLocation.Host, TimeSpan.FromSeconds(1));

        Assert.True((await runtime.RunHookAsync(Project, Service("good") with { Hooks = new HooksSpec(hook, null, null) }, HookKind.Prestart, default)).Succeeded);
        Assert.False((await runtime.RunHookAsync(Project, Service("bad") with { Hooks = new HooksSpec(hook, null, null) }, HookKind.Prestart, default)).Succeeded);
    }

    [Fact]
    public async Task Ten_thousand_replicas_across_many_projects_are_created_concurrently()
    {
        var runtime = new SimulatedRuntime(new SimulatedRuntimeOptions { Latency = TimeSpan.FromMilliseconds(1) });
        var projects = Enumerable.Range(0, 1000).Select(i => new ProjectRef($"p{i}", "/nowhere")).ToArray();
        await Task.WhenAll(projects.Select(async project =>
        {
            for (var s = 0; s < 10; s++)
            {
                await runtime.CreateAsync(new ReplicaSpec(project, Service($"s{s}"), 1, "h", 1), default);
            }
        }));

        Assert.Equal(10_000, runtime.Stats.Creates);
        Assert.Equal(10, (await runtime.ObserveAsync(projects[999], default)).Replicas.Length);
    }
}
