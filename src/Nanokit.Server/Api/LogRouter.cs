using System.Threading.Channels;
using Grpc.Core;
using Status = Grpc.Core.Status;
using Nanokit.Core.Model;
using Nanokit.Runtime;
using Nanokit.Server.Api.V1;
using Nanokit.Server.Runtime;

namespace Nanokit.Server.Api;

/// <summary>
/// StreamLogs where the logs are: on the project's owner (<see cref="OwnerRouter"/>), which any other node forwards
/// the call to. Lines of the replicas are merged through a small bounded channel: a slow reader slows the replicas'
/// readers, memory stays flat.
/// </summary>
internal sealed class LogRouter(OwnerRouter router, ProjectRuntimes runtimes)
{
    private const int MergeCapacity = 256;

    public async Task StreamAsync(StreamLogsRequest request, ProjectSpec spec, IServerStreamWriter<LogLine> output, ServerCallContext context)
    {
        var cancellationToken = context.CancellationToken;
        if (await router.RouteAsync(spec.Name, "the logs", context).ConfigureAwait(false) is not { } forward)
        {
            await ReadLocallyAsync(request, spec, output, cancellationToken).ConfigureAwait(false);
            return;
        }

        try
        {
            using var call = forward.Client.StreamLogs(request, forward.Headers, forward.Deadline, cancellationToken);
            await foreach (var line in call.ResponseStream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                await output.WriteAsync(line, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.Internal or StatusCode.Unknown && !cancellationToken.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, $"the owner of \"{spec.Name}\", {forward.Owner} at {forward.Url}, did not serve its logs: {e.Status.Detail}"));
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
            throw new RpcException(new Status(StatusCode.Unavailable, $"the runtime of \"{spec.Name}\" on {router.Self} failed reading logs: {e.Message}"));
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
