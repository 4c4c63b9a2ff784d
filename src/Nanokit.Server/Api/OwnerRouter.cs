using Akka.Actor;
using Akka.Hosting;
using Grpc.Core;
using Grpc.Net.Client;
using Nanokit.Reconciler.Hosting;
using Nanokit.Server.Api.V1;
using Nanokit.Server.Cluster;
using Status = Grpc.Core.Status;

namespace Nanokit.Server.Api;

/// <summary>
/// Where a call about a project's replicas is served: only the node that owns a project runs them (a local runtime's
/// processes, its Docker daemon). The owner is asked of the cluster itself (an Identify sent through the shard region
/// answers from wherever the entity lives, starting it if needed), never taken from a status row that a failover may
/// have left stale. Another node forwards the call to the owner's API URL (<see cref="NodeDirectory"/>) with the
/// caller's token, marked so that it is never forwarded twice. Used by StreamLogs and ExecService.
/// </summary>
internal sealed class OwnerRouter(
    ActorSystem system, IRequiredActor<ProjectShards> shards, NodeDirectory nodes, ServerSettings settings) : IDisposable
{
    /// <summary>The header a forwarded call carries (its value: the forwarding node's address).</summary>
    public const string ForwardedHeader = "nanokit-forwarded-by";

    private static readonly TimeSpan IdentifyTimeout = TimeSpan.FromSeconds(10);

    private readonly OwnerChannels channels = new(url => GrpcChannel.ForAddress(url, new GrpcChannelOptions { MaxReceiveMessageSize = settings.MaxRequestBytes }));

    public string Self => Akka.Cluster.Cluster.Get(system).SelfAddress.ToString();

    /// <summary>
    /// Null when this node owns <paramref name="project"/>; otherwise the owner to forward the call to. A call already
    /// forwarded to this node, which no longer owns the project, is UNAVAILABLE (ownership is moving: retry).
    /// </summary>
    /// <param name="what">What the call serves, for the messages ("the logs", "exec").</param>
    public async Task<Forward?> RouteAsync(string project, string what, ServerCallContext context)
    {
        var cancellationToken = context.CancellationToken;
        var owner = await OwnerAsync(project, cancellationToken).ConfigureAwait(false);
        if (owner == Self)
        {
            return null;
        }

        if (context.RequestHeaders.GetValue(ForwardedHeader) is { } from)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, $"{from} forwarded {what} of \"{project}\" here, but {owner} owns it now (ownership is moving); retry"));
        }

        var url = await nodes.ApiUrlAsync(owner, cancellationToken).ConfigureAwait(false)
            ?? throw new RpcException(new Status(StatusCode.Unavailable, $"the owner of \"{project}\", {owner}, registered no API URL"));
        var channel = channels.For(url);
        var headers = new Metadata { { ForwardedHeader, Self } };
        if (context.RequestHeaders.GetValue("authorization") is { } authorization)
        {
            headers.Add("authorization", authorization);
        }

        return new Forward(new Projects.ProjectsClient(channel), headers, context.Deadline == DateTime.MaxValue ? null : context.Deadline, owner, url);
    }

    public void Dispose() => channels.Dispose();

    private async Task<string> OwnerAsync(string project, CancellationToken cancellationToken)
    {
        var region = await shards.GetAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var identity = await region.Ask<ActorIdentity>(new ProjectEnvelope(project, new Identify(project)), IdentifyTimeout, cancellationToken).ConfigureAwait(false);
            var address = identity.Subject?.Path.Address
                ?? throw new RpcException(new Status(StatusCode.Unavailable, $"the cluster hosts no entity for \"{project}\" right now; retry"));
            // A local reference has no host in its address: the entity lives here.
            return address.HasLocalScope ? Self : address.ToString();
        }
        catch (AskTimeoutException)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, $"the cluster did not say which node owns \"{project}\" within 10 s (a failover in progress?); retry"));
        }
    }
}

/// <summary>The owner a call is forwarded to: a client of its API, the caller's token and the forwarded mark, and the caller's deadline.</summary>
internal sealed record Forward(Projects.ProjectsClient Client, Metadata Headers, DateTime? Deadline, string Owner, string Url);
