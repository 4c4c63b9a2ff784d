using Nanokit.Runtime;

namespace Nanokit.Providers.Local;

/// <summary>
/// Finds and stops a replica's process group. The group id is the wrapper's pid (it is the session leader).
/// The group is ours when the wrapper is alive with the recorded start time, or when the wrapper is gone but members
/// of its group remain: Linux never hands out a pid while it still names a live process group, so such members can
/// only be the ones our wrapper left behind (say, the wrapper alone was killed by hand). A live process with our pid
/// and another start time is someone else's, and its group is never touched.
/// </summary>
internal static class ProcessStopper
{
    /// <summary>Live processes of the replica's group, from one /proc snapshot; empty when nothing of ours runs.</summary>
    public static IReadOnlyList<ProcStat> Members(ReplicaRecord record, IReadOnlyList<ProcStat> snapshot) => Members(record.Process, snapshot);

    /// <summary>Live processes of the group led by <paramref name="record"/>'s wrapper (a replica's or a hook's).</summary>
    public static IReadOnlyList<ProcStat> Members(ProcessIdentity record, IReadOnlyList<ProcStat> snapshot)
    {
        if (record.Pid <= 1 || record.BootId != ProcTable.BootId)
        {
            return [];
        }

        var leader = snapshot.FirstOrDefault(p => p.Pid == record.Pid);
        if (leader.Pid == record.Pid && leader.StartTicks != record.StartTicks)
        {
            return [];
        }

        return snapshot.Where(p => p.ProcessGroup == record.Pid && p.IsLive).ToList();
    }

    /// <summary>True when the wrapper itself (not only leftovers of its group) is alive.</summary>
    public static bool LeaderAlive(ProcessIdentity record, IReadOnlyList<ProcStat> snapshot) =>
        record.BootId == ProcTable.BootId
        && snapshot.Any(p => p.Pid == record.Pid && p.StartTicks == record.StartTicks && p.IsLive);

    /// <summary>SIGTERM to the group, SIGKILL once <paramref name="grace"/> has passed, then waits until the group is gone.</summary>
    public static async Task StopAsync(
        ReplicaId id, ReplicaRecord record, TimeSpan grace, LocalRuntimeOptions options, CancellationToken cancellationToken)
    {
        if (!await StopAsync(record.Process, grace, options, cancellationToken).ConfigureAwait(false))
        {
            throw new RuntimeException("local", id, $"process group {record.Pid} still alive {options.KillTimeout.TotalSeconds:0.#} s after SIGKILL");
        }
    }

    /// <summary>As above for any tracked group; false when it is still alive <see cref="LocalRuntimeOptions.KillTimeout"/> after SIGKILL.</summary>
    public static async Task<bool> StopAsync(ProcessIdentity record, TimeSpan grace, LocalRuntimeOptions options, CancellationToken cancellationToken)
    {
        if (Members(record, ProcTable.Snapshot()).Count == 0)
        {
            return true;
        }

        Posix.SignalGroup(record.Pid, Posix.SigTerm);
        if (await WaitGoneAsync(record, grace, options.PollInterval, cancellationToken).ConfigureAwait(false))
        {
            return true;
        }

        Posix.SignalGroup(record.Pid, Posix.SigKill);
        return await WaitGoneAsync(record, options.KillTimeout, options.PollInterval, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<bool> WaitGoneAsync(ProcessIdentity record, TimeSpan within, TimeSpan poll, CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow + within;
        while (true)
        {
            if (Members(record, ProcTable.Snapshot()).Count == 0)
            {
                return true;
            }

            if (DateTimeOffset.UtcNow >= deadline)
            {
                return false;
            }

            await Task.Delay(poll, cancellationToken).ConfigureAwait(false);
        }
    }
}
