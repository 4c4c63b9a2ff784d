using Grpc.Core;
using Nanokit.Core.Model;
using Nanokit.Server.Api.V1;
using Nanokit.Server.Intents;

namespace Nanokit.Server.Api;

/// <summary>
/// ExecService and RunService: the first message is checked here, against the accepted intent (project, service,
/// replica), on whichever node answers, so a refusal costs no forwarding; the command runs where the replicas do
/// (<see cref="ExecRouter"/>).
/// </summary>
internal sealed partial class ProjectsService
{
    public override async Task ExecService(IAsyncStreamReader<ExecRequest> requestStream, IServerStreamWriter<ExecResponse> responseStream, ServerCallContext context)
    {
        var cancellationToken = context.CancellationToken;
        var start = (await FirstAsync(requestStream, ExecRequest.MessageOneofCase.Start, "an exec must be an ExecStart", cancellationToken).ConfigureAwait(false)).Start;
        var commandError = start.Command.Count == 0 || start.Command[0].Length == 0 ? "command is required" : null;
        var (spec, service) = await CheckedServiceAsync(start.Project, start.Service, commandError, cancellationToken).ConfigureAwait(false);

        var replica = start.Replica == 0 ? 1 : start.Replica;
        if (replica < 1 || replica > service.Replicas)
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"no replica {replica} of service {start.Service}: it has {(service.Replicas == 1 ? "1 replica" : $"{service.Replicas} replicas")}"));
        }

        logger.ExecStarted(start.Project, start.Service, replica);
        await UntilCancelledAsync(() => exec.ExecAsync(start, spec, requestStream, responseStream, context), cancellationToken).ConfigureAwait(false);
    }

    public override async Task RunService(IAsyncStreamReader<ExecRequest> requestStream, IServerStreamWriter<ExecResponse> responseStream, ServerCallContext context)
    {
        var cancellationToken = context.CancellationToken;
        var start = (await FirstAsync(requestStream, ExecRequest.MessageOneofCase.Run, "a run must be a RunStart", cancellationToken).ConfigureAwait(false)).Run;
        var commandError = start.Command.Count > 0 && start.Command[0].Length == 0 ? "command: the program to run is empty" : null;
        var (spec, service) = await CheckedServiceAsync(start.Project, start.Service, commandError, cancellationToken).ConfigureAwait(false);
        logger.RunStarted(start.Project, start.Service);
        await UntilCancelledAsync(() => exec.RunOnceAsync(start, spec, service, requestStream, responseStream, context), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The call's first message, which must be <paramref name="expected"/>: INVALID_ARGUMENT ("the first message of <paramref name="what"/>") otherwise.</summary>
    private static async Task<ExecRequest> FirstAsync(IAsyncStreamReader<ExecRequest> requestStream, ExecRequest.MessageOneofCase expected, string what, CancellationToken cancellationToken) =>
        await requestStream.MoveNext(cancellationToken).ConfigureAwait(false) && requestStream.Current.MessageCase == expected
            ? requestStream.Current
            : throw new RpcException(new Status(StatusCode.InvalidArgument, $"the first message of {what}"));

    /// <summary>Serves an exec or a run until it ends, or until the caller cancels or its deadline passes: gRPC then answers CANCELLED or DEADLINE_EXCEEDED, and the command was stopped (a one-off removed) with it.</summary>
    private static async Task UntilCancelledAsync(Func<Task> serve, CancellationToken cancellationToken)
    {
        try
        {
            await serve().ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // gRPC has answered already, and the command went with the call.
        }
    }

    /// <summary>
    /// The start checks exec and run share, in this order: a project is named, the command is acceptable
    /// (<paramref name="commandError"/> null, else INVALID_ARGUMENT with it), and the accepted spec has the service:
    /// NOT_FOUND naming what is unknown, FAILED_PRECONDITION when undeployed. Returns the spec and the service.
    /// </summary>
    private async Task<(ProjectSpec Spec, ServiceSpec Service)> CheckedServiceAsync(string project, string name, string? commandError, CancellationToken cancellationToken)
    {
        RequireName(project);
        if (commandError is not null)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, commandError));
        }

        var intent = await Store(() => store.IntentAsync(project, cancellationToken)).ConfigureAwait(false) ?? throw NotFound(project);
        var spec = IntentStore.Spec(intent)
            ?? throw new RpcException(new Status(StatusCode.FailedPrecondition, $"\"{project}\" is undeployed (generation {intent.Generation}): it has no replicas"));
        return spec.Services.TryGetValue(name, out var service)
            ? (spec, service)
            : throw new RpcException(new Status(StatusCode.NotFound, $"no such service: {name} (\"{project}\" has {string.Join(", ", spec.Services.Keys.Order(StringComparer.Ordinal))})"));
    }
}
