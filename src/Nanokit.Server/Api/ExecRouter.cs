using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Grpc.Core;
using Nanokit.Core.Model;
using Nanokit.Runtime;
using Nanokit.Server.Api.V1;
using Nanokit.Server.Runtime;
using Status = Grpc.Core.Status;

namespace Nanokit.Server.Api;

/// <summary>
/// ExecService and RunService where the replicas run: on the project's owner (<see cref="OwnerRouter"/>), through its
/// runtime's exec or one-off; any other node relays both directions to the owner. The caller's stdin reaches the
/// command through a pipe, so the runtime reads it as a stream and a slow command slows the caller (the pipe pauses
/// reading the call past its threshold); its stdout and stderr go back as the bytes it wrote (<see cref="ExecOutput"/>).
/// Cancelling the call (the caller went away, its deadline passed) cancels the runtime's exec, which stops the
/// command. A broken stdin stream (a message over the size limit, a second start) stops the command too and is the
/// call's error.
/// </summary>
internal sealed class ExecRouter(OwnerRouter router, ProjectRuntimes runtimes)
{
    public Task ExecAsync(ExecStart start, ProjectSpec spec, IAsyncStreamReader<ExecRequest> input, IServerStreamWriter<ExecResponse> output, ServerCallContext context)
    {
        var replica = new ReplicaId(ProjectRef.Of(spec), start.Service, start.Replica == 0 ? 1 : start.Replica);
        return ServeAsync(
            spec.Name, "exec", new ExecRequest { Start = start }, start.Stdin,
            (forward, token) => forward.Client.ExecService(forward.Headers, forward.Deadline, token),
            (streams, token) => runtimes.ExecAsync(replica, [.. start.Command], streams, token),
            input, output, context);
    }

    /// <summary>A one-off of <paramref name="service"/> (<c>nkapp run</c>) on the owner's runtime, removed when it ends.</summary>
    public Task RunOnceAsync(RunStart start, ProjectSpec spec, ServiceSpec service, IAsyncStreamReader<ExecRequest> input, IServerStreamWriter<ExecResponse> output, ServerCallContext context) =>
        ServeAsync(
            spec.Name, "run", new ExecRequest { Run = start }, start.Stdin,
            (forward, token) => forward.Client.RunService(forward.Headers, forward.Deadline, token),
            (streams, token) => runtimes.RunOnceAsync(ProjectRef.Of(spec), service, [.. start.Command], streams, token),
            input, output, context);

    private async Task ServeAsync(
        string project, string verb, ExecRequest first, bool stdin,
        Func<Forward, CancellationToken, AsyncDuplexStreamingCall<ExecRequest, ExecResponse>> open,
        Func<CommandStreams, CancellationToken, Task<int>> run,
        IAsyncStreamReader<ExecRequest> input, IServerStreamWriter<ExecResponse> output, ServerCallContext context)
    {
        if (await router.RouteAsync(project, verb, context).ConfigureAwait(false) is { } forward)
        {
            await RelayAsync(forward, project, verb, first, stdin, open, input, output, context.CancellationToken).ConfigureAwait(false);
            return;
        }

        await RunAsync(verb, stdin, run, input, output, context.CancellationToken).ConfigureAwait(false);
    }

    private async Task RunAsync(string verb, bool withStdin, Func<CommandStreams, CancellationToken, Task<int>> run, IAsyncStreamReader<ExecRequest> input, IServerStreamWriter<ExecResponse> output, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var gate = new SemaphoreSlim(1, 1);
        var stdin = withStdin ? new Pipe() : null;
        var broken = new StrongBox<Exception?>();
        var feed = stdin is null ? Task.CompletedTask : FeedAsync(input, stdin.Writer, broken, stop);
        int exitCode;
        try
        {
            using var stdout = new ExecOutput(output, gate, isError: false, stop.Token);
            using var stderr = new ExecOutput(output, gate, isError: true, stop.Token);
            var streams = new CommandStreams(stdin?.Reader.AsStream(), stdout, stderr);
            exitCode = await run(streams, stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && broken.Value is { } error)
        {
            // The stdin stream broke and stopped the command: its error is the call's.
            throw Failure(error);
        }
        catch (RuntimeException e)
        {
            throw new RpcException(new Status(e.Transient ? StatusCode.Unavailable : StatusCode.FailedPrecondition, $"{verb} on {router.Self}: {e.Message}"));
        }
        catch (IOException e) when (!cancellationToken.IsCancellationRequested)
        {
            // The runtime's stream broke mid-command (a daemon restarted): worth a retry, as a transient runtime error is.
            throw new RpcException(new Status(StatusCode.Unavailable, $"{verb} on {router.Self}: the runtime's stream broke: {e.Message}"));
        }
        finally
        {
            stdin?.Reader.Complete();
            await stop.CancelAsync().ConfigureAwait(false);
            await feed.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
        }

        await output.WriteAsync(new ExecResponse { ExitCode = exitCode }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The stdin messages into the pipe until the caller closes its side; a broken stream cancels the command.</summary>
    private static async Task FeedAsync(IAsyncStreamReader<ExecRequest> input, PipeWriter into, StrongBox<Exception?> broken, CancellationTokenSource stop)
    {
        try
        {
            while (await input.MoveNext(stop.Token).ConfigureAwait(false))
            {
                if (input.Current.MessageCase != ExecRequest.MessageOneofCase.Stdin)
                {
                    throw new RpcException(new Status(StatusCode.InvalidArgument, "only the first message says what to run; the ones after it carry stdin"));
                }

                var flushed = await into.WriteAsync(input.Current.Stdin.Memory, stop.Token).ConfigureAwait(false);
                if (flushed.IsCompleted)
                {
                    // The command no longer reads its stdin.
                    return;
                }
            }

            await into.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (!stop.IsCancellationRequested)
        {
            broken.Value = e;
            await into.CompleteAsync(e).ConfigureAwait(false);
            await stop.CancelAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Relays the call to the owner: the first message and the caller's stdin up, the owner's answers (and its error) down.</summary>
    private static async Task RelayAsync(
        Forward forward, string project, string verb, ExecRequest first, bool stdin, Func<Forward, CancellationToken, AsyncDuplexStreamingCall<ExecRequest, ExecResponse>> open,
        IAsyncStreamReader<ExecRequest> input, IServerStreamWriter<ExecResponse> output, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var call = open(forward, stop.Token);
        var broken = new StrongBox<Exception?>();
        var up = Task.CompletedTask;
        try
        {
            await call.RequestStream.WriteAsync(first, stop.Token).ConfigureAwait(false);
            up = stdin ? RelayStdinAsync(input, call.RequestStream, broken, stop) : call.RequestStream.CompleteAsync();
            await foreach (var message in call.ResponseStream.ReadAllAsync(stop.Token).ConfigureAwait(false))
            {
                await output.WriteAsync(message, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && broken.Value is { } error && e is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled })
        {
            // The caller's stdin stream broke (and cancelled the relayed call): its error is the call's.
            throw Failure(error);
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.Internal or StatusCode.Unknown && !cancellationToken.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, $"the owner of \"{project}\", {forward.Owner} at {forward.Url}, did not serve the {verb}: {e.Status.Detail}"));
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await up.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
        }
    }

    private static async Task RelayStdinAsync(IAsyncStreamReader<ExecRequest> input, IClientStreamWriter<ExecRequest> into, StrongBox<Exception?> broken, CancellationTokenSource stop)
    {
        try
        {
            while (await input.MoveNext(stop.Token).ConfigureAwait(false))
            {
                if (input.Current.MessageCase != ExecRequest.MessageOneofCase.Stdin)
                {
                    throw new RpcException(new Status(StatusCode.InvalidArgument, "only the first message says what to run; the ones after it carry stdin"));
                }

                await into.WriteAsync(input.Current, stop.Token).ConfigureAwait(false);
            }

            await into.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (!stop.IsCancellationRequested && e is not InvalidOperationException)
        {
            broken.Value = e;
            await stop.CancelAsync().ConfigureAwait(false);
        }
    }

    /// <summary>A broken stdin stream as the call's status: gRPC's own (RESOURCE_EXHAUSTED for a message over the limit) or INVALID_ARGUMENT.</summary>
    private static RpcException Failure(Exception error) => error as RpcException ?? new RpcException(new Status(StatusCode.InvalidArgument, $"the stdin stream broke: {error.Message}"));
}
