using System.Globalization;
using System.Text.Json;
using Nanokit.Core.Model;
using Nanokit.Runtime;

namespace Nanokit.Providers.Docker.Tests;

public sealed class DockerUpdateTests
{
    private static readonly UpdatePolicy StartFirst = new(null, UpdateOrder.StartFirst);
    private static readonly int[] Slots = [1, 2];

    [Fact]
    public async Task A_start_first_update_stops_each_old_replica_only_after_its_replacement_is_healthy()
    {
        await using var p = await DockerProject.StartAsync();
        var v1 = DockerProject.Service("web") with
        {
            Command = ["sh", "-c", "trap 'exit 0' TERM; sleep 1; touch /tmp/ok; while :; do sleep 0.2; done"],
            // A start period: on a loaded host the container's first second can outlast 3 failed checks 200 ms apart,
            // which made a healthy replacement "unhealthy" before it touched /tmp/ok.
            Healthcheck = new HealthcheckSpec(["CMD-SHELL", "test -f /tmp/ok"], TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(5), 3, TimeSpan.FromSeconds(30), false),
        };
        var old = await Task.WhenAll(Slots.Select(n => p.Runtime.CreateAsync(p.Replica(v1, n), DockerProject.Timeout(60))));
        var since = DateTimeOffset.UtcNow.AddSeconds(-5);
        var v2 = v1 with { Image = DockerProject.Image2, Update = StartFirst };

        var updated = await Task.WhenAll(Slots.Select(n => p.Runtime.CreateAsync(p.Replica(v2, n, "h2", 2), DockerProject.Timeout(120))));

        var events = await EventsAsync(p, since);
        for (var slot = 0; slot < 2; slot++)
        {
            var healthy = events.FirstOrDefault(e => e.Id == updated[slot].Id && e.Action == "health_status: healthy")?.TimeNano ?? long.MaxValue;
            var stopping = events.First(e => e.Id == old[slot].Id && e.Action is "kill" or "stop" or "die").TimeNano;
            Assert.True(healthy < stopping, $"slot {slot + 1}: the old replica began stopping ({stopping}) before its replacement was healthy ({healthy})");
        }

        var observed = (await p.Runtime.ObserveAsync(p.Project, DockerProject.Timeout())).Replicas;
        Assert.Equal(
            [("h2", DockerProject.Image2, ReplicaState.Running, updated[0].Id), ("h2", DockerProject.Image2, ReplicaState.Running, updated[1].Id)],
            observed.Select(r => (r.ConfigHash, r.AppliedDefinition!.Image, r.State, r.Id)));
        Assert.Equal([$"{p.Project.Name}-web-1", $"{p.Project.Name}-web-2"], await p.ContainerNamesAsync());
    }

    [Fact]
    public async Task A_start_first_replacement_that_turns_unhealthy_or_exits_is_removed_and_the_old_replica_keeps_running()
    {
        await using var p = await DockerProject.StartAsync();
        var v1 = DockerProject.Service("web");
        var created = await p.Runtime.CreateAsync(p.Replica(v1), DockerProject.Timeout());
        var unhealthy = v1 with
        {
            Image = DockerProject.Image2,
            Update = StartFirst,
            Healthcheck = new HealthcheckSpec(["CMD-SHELL", "echo not ready; false"], TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(5), 1, TimeSpan.Zero, false),
        };
        var exits = unhealthy with
        {
            Command = ["sh", "-c", "sleep 0.5; exit 3"],
            Healthcheck = unhealthy.Healthcheck! with { Test = ["CMD", "true"], Interval = TimeSpan.FromMinutes(5) },
        };

        var sick = await Assert.ThrowsAsync<RuntimeException>(() => p.Runtime.CreateAsync(p.Replica(unhealthy, hash: "h2"), DockerProject.Timeout(60)));
        var exited = await Assert.ThrowsAsync<RuntimeException>(() => p.Runtime.CreateAsync(p.Replica(exits, hash: "h3"), DockerProject.Timeout(60)));

        Assert.Equal(
            $"docker runtime: {p.Project.Name}/web-1: start-first update: the replacement turned unhealthy (last check: exit 1: not ready); "
            + "the replacement was removed and the old container keeps running",
            sick.Message);
        Assert.Contains("start-first update: the replacement exited with code 3 before it was ready", exited.Message);
        var observed = Assert.Single((await p.Runtime.ObserveAsync(p.Project, DockerProject.Timeout())).Replicas);
        Assert.Equal((created.Id, "h1", ReplicaState.Running), (observed.Id, observed.ConfigHash, observed.State));
        Assert.Equal([$"{p.Project.Name}-web-1"], await p.ContainerNamesAsync());
    }

    [Fact]
    public async Task A_start_first_replacement_that_cannot_start_leaves_the_old_replica_running()
    {
        await using var p = await DockerProject.StartAsync();
        var port = LoopbackPort.Free();
        var v1 = DockerProject.Service("web") with { Ports = [new PortMapping(null, port, 80, "tcp")] };
        var created = await p.Runtime.CreateAsync(p.Replica(v1), DockerProject.Timeout());

        var error = await Assert.ThrowsAsync<RuntimeException>(
            () => p.Runtime.CreateAsync(p.Replica(v1 with { Image = DockerProject.Image2, Update = StartFirst }, hash: "h2"), DockerProject.Timeout()));

        Assert.StartsWith($"docker runtime: {p.Project.Name}/web-1: start-first update: the replacement did not start: ", error.Message);
        Assert.EndsWith($"Bind for 0.0.0.0:{port} failed: port is already allocated; the old container keeps running", error.Message);
        var observed = Assert.Single((await p.Runtime.ObserveAsync(p.Project, DockerProject.Timeout())).Replicas);
        Assert.Equal((created.Id, ReplicaState.Running), (observed.Id, observed.State));
        Assert.Equal([$"{p.Project.Name}-web-1"], await p.ContainerNamesAsync());
    }

    [Fact]
    public async Task A_successor_left_by_a_crash_is_not_observed_and_the_next_create_finishes_the_swap()
    {
        await using var p = await DockerProject.StartAsync();
        var old = await p.Runtime.CreateAsync(p.Replica(DockerProject.Service("web")), DockerProject.Timeout());
        var successor = await RunSuccessorByHandAsync(p, "h2");

        var observed = Assert.Single((await p.Runtime.ObserveAsync(p.Project, DockerProject.Timeout())).Replicas);
        Assert.Equal(old.Id, observed.Id);

        var swapped = await p.Runtime.CreateAsync(p.Replica(DockerProject.Service("web", DockerProject.Image2), hash: "h2"), DockerProject.Timeout(60));

        Assert.Equal(successor, swapped.Id);
        Assert.Equal([$"{p.Project.Name}-web-1"], await p.ContainerNamesAsync());
    }

    [Fact]
    public async Task A_stale_successor_is_removed_by_the_next_create_and_by_delete()
    {
        await using var p = await DockerProject.StartAsync();
        var web = DockerProject.Service("web");
        var old = await p.Runtime.CreateAsync(p.Replica(web), DockerProject.Timeout());
        await RunSuccessorByHandAsync(p, "h9");

        var kept = await p.Runtime.CreateAsync(p.Replica(web), DockerProject.Timeout());

        Assert.Equal(old.Id, kept.Id);
        Assert.Equal([$"{p.Project.Name}-web-1"], await p.ContainerNamesAsync());
        await RunSuccessorByHandAsync(p, "h1");
        await p.Runtime.DeleteAsync(p.Id("web"), null, DockerProject.Timeout());
        Assert.Empty(await p.ContainerNamesAsync());
    }

    /// <summary>What a process that crashed mid-update leaves: a labelled replacement under the slot's successor name.</summary>
    private static async Task<string> RunSuccessorByHandAsync(DockerProject p, string hash) =>
        (await DockerProject.DockerCliAsync(
            "run", "-d", "--name", $"{p.Project.Name}-web-1-next", "--network", "none",
            "--label", "io.nanokit.project=" + p.Project.Name, "--label", "io.nanokit.service=web", "--label", "io.nanokit.replica=1",
            "--label", "io.nanokit.config-hash=" + hash, DockerProject.Image2,
            "sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.2; done")).Trim();

    private sealed record DaemonEvent(string Id, string Action, long TimeNano);

    /// <summary>The daemon's own record of the project's container events since <paramref name="since"/>, in order.</summary>
    private static async Task<List<DaemonEvent>> EventsAsync(DockerProject p, DateTimeOffset since)
    {
        static string Unix(DateTimeOffset t) => (t.ToUnixTimeMilliseconds() / 1000.0).ToString("0.000", CultureInfo.InvariantCulture);
        var output = await DockerProject.DockerCliAsync(
            "events", "--since", Unix(since), "--until", Unix(DateTimeOffset.UtcNow.AddSeconds(1)),
            "--filter", "type=container", "--filter", "label=io.nanokit.project=" + p.Project.Name, "--format", "{{json .}}");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement)
            .Select(e => new DaemonEvent(e.GetProperty("Actor").GetProperty("ID").GetString()!, e.GetProperty("Action").GetString()!, e.GetProperty("timeNano").GetInt64()))
            .ToList();
    }
}
