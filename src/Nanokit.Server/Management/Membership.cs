using System.Collections.Immutable;
using Akka.Actor;

namespace Nanokit.Server.Management;

/// <summary>The cluster's members as this node's gossip shows them, oldest first (the oldest hosts the shard coordinator).</summary>
internal sealed record Membership(string Self, string? Leader, ImmutableArray<MemberView> Members)
{
    public static Membership Of(ActorSystem system)
    {
        var cluster = Akka.Cluster.Cluster.Get(system);
        var state = cluster.State;
        var oldestFirst = state.Members.OrderBy(m => m, Akka.Cluster.Member.AgeOrdering).ToList();
        return new Membership(
            cluster.SelfAddress.ToString(),
            state.Leader?.ToString(),
            [.. oldestFirst.Select((m, rank) => new MemberView(
                m.Address.ToString(),
                state.Unreachable.Contains(m) ? $"{m.Status}/Unreachable" : m.Status.ToString(),
                [.. m.Roles.Order(StringComparer.Ordinal)],
                rank))]);
    }
}

internal sealed record MemberView(string Address, string Status, ImmutableArray<string> Roles, int AgeRank);
