using Nanokit.Core.Model;

namespace Nanokit.Providers.Local.Tests;

/// <summary><c>nkapp stop</c> on the local runtime: the process group ends, the replica stays, and start runs it again.</summary>
public sealed class LocalStopTests
{
    [Fact]
    public async Task Stop_ends_the_process_keeps_the_replica_as_exited_and_start_runs_it_again_from_its_definition()
    {
        await using var f = new LocalFixture();
        await f.Runtime.CreateAsync(f.Replica(LocalFixture.Service("api", "sleep", "30"), hash: "abc", generation: 3), default);
        var running = await f.ObserveOneAsync("api");

        await f.Runtime.StopAsync(f.Id("api"), null, default);
        var stopped = await f.ObserveOneAsync("api");
        await f.Runtime.StopAsync(f.Id("api"), null, default);
        await f.Runtime.StartAsync(f.Id("api"), default);
        var started = await f.ObserveOneAsync("api");

        Assert.False(Poll.Alive(LocalFixture.PidOf(running)));
        Assert.Equal((ReplicaState.Exited, 143, "abc", 3L), (stopped.State, stopped.ExitCode, stopped.ConfigHash, stopped.Generation));
        Assert.Equal((ReplicaState.Running, "abc", 3L), (started.State, started.ConfigHash, started.Generation));
        Assert.NotEqual(running.Id, started.Id);
    }

    [Fact]
    public async Task Stopping_a_replica_that_does_not_exist_succeeds_and_creates_nothing()
    {
        await using var f = new LocalFixture();

        await f.Runtime.StopAsync(f.Id("ghost"), null, default);

        Assert.Empty((await f.Runtime.ObserveAsync(f.Project, default)).Replicas);
    }
}
