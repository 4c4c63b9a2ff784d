using Akka.Util;

namespace Nanokit.Server.Intents;

/// <summary>
/// Which node sends which intent: of the members that are up and reachable (as this node sees them), sorted by
/// address, the one at the project name's hash modulo their count. Every node reads every notification, but only
/// the sender reads the intent and delivers it, so an intent costs the cluster one delivery, not one per node.
///
/// Design note. No intent may be lost while views of the membership differ or change. When the members change (one
/// joins, leaves, is removed or becomes unreachable or reachable again), <see cref="IntentDelivery"/> updates this
/// and every node reads every pending intent at its next sweep (<see cref="TakeSweepAll"/>): what a removed or
/// unreachable sender left undelivered is found by its new sender, whatever it was doing. While two nodes' views
/// differ, an intent may have two senders (the project answers both; harmless) and, for as long as it takes the
/// views to agree, none; the sweep that follows each node's change finds it then. Before this node sees any member up
/// it sends nothing (the cluster cannot host a project yet either).
/// </summary>
/// <param name="self">This node's cluster address, as members' addresses are written.</param>
internal sealed class IntentSenders(string self)
{
    // Replaced whole by the delivery actor, read by the dispatcher: an immutable snapshot.
    private volatile string[] members = [];
    private int sweepAll;

    /// <summary>Sets the members up and reachable; a change asks for a sweep of every pending intent.</summary>
    public void Update(IEnumerable<string> senders)
    {
        var sorted = senders.Order(StringComparer.Ordinal).ToArray();
        if (!sorted.SequenceEqual(members))
        {
            members = sorted;
            Volatile.Write(ref sweepAll, 1);
        }
    }

    /// <summary>Whether this node sends <paramref name="project"/>'s intents.</summary>
    public bool Sends(string project)
    {
        var now = members;
        return now.Length > 0 && now[(int)((uint)MurmurHash.StringHash(project) % (uint)now.Length)] == self;
    }

    /// <summary>True once after the members changed: the next sweep must read every pending intent, not only recent ones.</summary>
    public bool TakeSweepAll() => Interlocked.Exchange(ref sweepAll, 0) == 1;
}
