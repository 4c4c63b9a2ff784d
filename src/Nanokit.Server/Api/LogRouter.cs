using System.Collections.Concurrent;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Hosting;
using Grpc.Core;
using Grpc.Net.Client;
using Status = Grpc.Core.Status;
using Nanokit.Core.Model;
using Nanokit.Reconciler.Hosting;
using Nanokit.Runtime;
using Nanokit.Server.Api.V1;
using Nanokit.Server.Cluster;
using Nanokit.Server.Runtime;

namespace Nanokit.Server.Api;

/// <summary>
/// StreamLogs where the logs are: only the node that owns a project runs its replicas (a local runtime's processes,
/// its Docker daemon), so the call is served there. The owner is asked of the cluster itself (an Identify sent
/// through the shard region answers from wherever the entity lives, starting it if needed), never taken from a
/// status row that a failover may have left stale. Another node forwards the call to the owner's API URL
/// (<see cref="NodeDirectory"/>) with the caller's token, marked so that it is never forwarded twice. Lines of the
/// replicas are merged through a small bounded channel: a slow reader slows the replicas' readers, memory stays flat.
/// </summary>
internal sealed class LogRouter(
    ActorSystem system, IRequiredActor<ProjectShards> shards, NodeDirectory nodes, ProjectRuntimes runtimes, ServerSettings settings) : IDisposable
{
    /// <summary>The header a forwarded call carries (its value: the forwarding node's address).</summary>
    public const string ForwardedHeader = "nanokit-forwarded-by";

    private const int MergeCapacity = 256;

    private readonly ConcurrentDictionary<string, GrpcChannel> channels = new(StringComparer.Ordinal);

    private string Self => Akka.Cluster.Cluster.Get(system).SelfAddress.ToString();

    public async Task StreamAsync(StreamLogsRequest request, ProjectSpec spec, IServerStreamWriter<LogLine> output, ServerCallContext context)
    {
        var cancellationToken = context.CancellationToken;
        var owner = await OwnerAsync(spec.Name, cancellationToken).ConfigureAwait(false);
        if (owner == Self)
        {
            await ReadLocallyAsync(request, spec, output, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (context.RequestHeaders.GetValue(ForwardedHeader) is { } from)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, $"{from} forwarded the logs of \"{spec.Name}\" here, but {owner} owns it now (ownership is moving); retry"));
        }

        var url = await nodes.ApiUrlAsync(owner, cancellationToken).ConfigureAwait(false)
            ?? throw new RpcException(new Status(StatusCode.Unavailable, $"the owner of \"{spec.Name}\", {owner}, registered no API URL"));
        var client = new Projects.ProjectsClient(channels.GetOrAdd(url, u => GrpcChannel.ForAddress(u, new GrpcChannelOptions { MaxReceiveMessageSize = settings.MaxRequestBytes })));
        var headers = new Metadata { { ForwardedHeader, Self } };
        if (context.RequestHeaders.GetValue("authorization") is { } authorization)
        {
            headers.Add("authorization", authorization);
        }

        try
        {
            using var call = client.StreamLogs(request, headers, context.Deadline == DateTime.MaxValue ? null : context.Deadline, cancellationToken);
            await foreach (var line in call.ResponseStream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                await output.WriteAsync(line, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.Internal or StatusCode.Unknown && !cancellationToken.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, $"the owner of \"{spec.Name}\", {owner} at {url}, did not serve its logs: {e.Status.Detail}"));
        }
    }

    public void Dispose()
    {
        foreach (var channel in channels.Values)
        {
            channel.Dispose();
        }
    }

    private async Task<string> OwnerAsync(string project, CancellationToken cancellationToken)
    {
        var region = await shards.GetAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var identity = await region.Ask<ActorIdentity>(new ProjectEnvelope(project, new Identify(project)), TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
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

    private async Task ReadLocallyAsync(StreamLogsRequest request, ProjectSpec spec, IServerStreamWriter<LogLine> output, CancellationToken cancellationToken)
    {
        var project = ProjectRef.Of(spec);
        var seen = runtimes.Seen(spec.Name);
        var services = request.Services.Count > 0 ? [.. request.Services] : spec.Services.Keys.Order(StringComparer.Ordinal).ToList();
        var replicas = services.SelectMany(name => seen.Replicas.Where(r => r.Service == name).Select(r => r.Replica)
            .Concat(Enumerable.Range(1, spec.Services[name].Replicas)).Distinct().Order()
            .Select(n => new ReplicaId(project, name, n))).ToList();
        DateTimeOffset? since = LogTimes.TryParse(request.Since, out var at) ? at : null;
        var options = new LogReadOptions(request.HasTail ? request.Tail : null, request.Follow, request.Timestamps, since);
        var lines = Channel.CreateBounded<LogLine>(MergeCapacity);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var readers = replicas.Select(r => PumpAsync(r, options, lines.Writer, stop.Token)).ToList();
        _ = Task.WhenAll(readers).ContinueWith(t => lines.Writer.TryComplete(t.Exception?.GetBaseException()), TaskScheduler.Default);
        try
        {
            await foreach (var line in lines.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                await output.WriteAsync(line, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is RuntimeException or IOException)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, $"the runtime of \"{spec.Name}\" on {Self} failed reading logs: {e.Message}"));
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
        }
    }

    private async Task PumpAsync(ReplicaId replica, LogReadOptions options, ChannelWriter<LogLine> into, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var line in runtimes.ReadLogsAsync(replica, options, cancellationToken).ConfigureAwait(false))
            {
                var (time, text) = options.Timestamps ? LogTimes.Split(line) : ("", line);
                await into.WriteAsync(new LogLine { Service = replica.Service, Replica = replica.Replica, Line = text, Time = time }, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The caller went away, or another replica's reader failed.
        }
    }
}
