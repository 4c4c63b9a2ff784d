using Akka.Actor;
using Grpc.Core;
using Nanokit.Server.Api.V1;
using Nanokit.Server.Management;

namespace Nanokit.Server.Api;

/// <summary>nanokit.v1.Cluster: membership as the answering node sees it (Akka.Cluster's gossip, no extra state).</summary>
internal sealed class ClusterService(ActorSystem system) : V1.Cluster.ClusterBase
{
    public override Task<ListMembersResponse> ListMembers(ListMembersRequest request, ServerCallContext context)
    {
        var view = Membership.Of(system);
        var response = new ListMembersResponse { Self = view.Self, Leader = view.Leader ?? "" };
        response.Members.AddRange(view.Members.Select(m =>
        {
            var member = new Member { Address = m.Address, Status = m.Status, AgeRank = m.AgeRank };
            member.Roles.AddRange(m.Roles);
            return member;
        }));
        return Task.FromResult(response);
    }
}
