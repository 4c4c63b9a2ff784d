using System.Diagnostics;
using Nanokit.Core.Model;
using Nanokit.Runtime;

namespace Nanokit.Providers.Local.Tests;

/// <summary>A throw-away project directory and runtime; disposing stops every replica the test left running.</summary>
internal sealed class LocalFixture : IAsyncDisposable
{
    public LocalFixture(LocalRuntimeOptions? options = null, string project = "proj")
    {
        Directory = Path.Combine(Path.GetTempPath(), "nanokit-local-" + Guid.NewGuid().ToString("N")[..10]);
        System.IO.Directory.CreateDirectory(Directory);
        Project = new ProjectRef(project, Directory);
        Runtime = new LocalRuntime(options ?? new LocalRuntimeOptions { PollInterval = TimeSpan.FromMilliseconds(20) });
    }

    public string Directory { get; }

    public ProjectRef Project { get; }

    public LocalRuntime Runtime { get; }

    public static ServiceSpec Service(string name, params string[] command) => new()
    {
        Name = name,
        Command = [.. command],
        StopGracePeriod = TimeSpan.FromSeconds(2),
    };

    public ReplicaSpec Replica(ServiceSpec service, int replica = 1, string hash = "hash-1", long generation = 1) =>
        new(Project, service, replica, hash, generation);

    public ReplicaId Id(string service, int replica = 1) => new(Project, service, replica);

    public string PathOf(string name) => Path.Combine(Directory, name);

    public async Task<ObservedReplica> ObserveOneAsync(string service, int replica = 1)
    {
        var state = await Runtime.ObserveAsync(Project, CancellationToken.None);
        return Assert.Single(state.Replicas, r => r.Service == service && r.Replica == replica);
    }

    /// <summary>The wrapper pid (= process group) of a replica, from its observed id "local:pid:start".</summary>
    public static int PidOf(ObservedReplica replica) => int.Parse(replica.Id!.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        var state = await Runtime.ObserveAsync(Project, CancellationToken.None);
        foreach (var replica in state.Replicas)
        {
            await Runtime.DeleteAsync(new ReplicaId(Project, replica.Service, replica.Replica), null, CancellationToken.None);
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A late log write can race the delete; the temp directory is harmless.
        }
    }
}

/// <summary>Waiting on a condition with a deadline, never a bare sleep.</summary>
internal static class Poll
{
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan within, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > within)
            {
                Assert.Fail($"timed out after {within.TotalSeconds:0.#} s waiting until {what}");
            }

            await Task.Delay(20);
        }
    }

    public static Task UntilAsync(Func<bool> condition, TimeSpan within, string what) =>
        UntilAsync(() => Task.FromResult(condition()), within, what);

    public static bool Alive(int pid) => ProcTable.Read(pid) is { IsLive: true };

    /// <summary>The pid of a live member of <paramref name="group"/> whose raw cmdline is <paramref name="cmdline"/>, if any.</summary>
    public static int? MemberRunning(int group, string cmdline)
    {
        foreach (var p in ProcTable.Snapshot().Where(p => p.ProcessGroup == group && p.IsLive))
        {
            try
            {
                if (File.ReadAllText($"/proc/{p.Pid}/cmdline") == cmdline)
                {
                    return p.Pid;
                }
            }
            catch (IOException)
            {
                // Exited between the snapshot and the read.
            }
        }

        return null;
    }

    public static bool GroupAlive(int group) => ProcTable.Snapshot().Any(p => p.ProcessGroup == group && p.IsLive);
}
