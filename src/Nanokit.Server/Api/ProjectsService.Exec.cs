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
        if (!await requestStream.MoveNext(cancellationToken).ConfigureAwait(false) || requestStream.Current.MessageCase != ExecRequest.MessageOneofCase.Start)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "the first message of an exec must be an ExecStart"));
        }

        var start = requestStream.Current.Start;
        var project = RequireName(start.Project);
        if (start.Command.Count == 0 || start.Command[0].Length == 0)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "command is required"));
        }

        var (spec, service) = await ServiceAsync(project, start.Service, cancellationToken).ConfigureAwait(false);

        var replica = start.Replica == 0 ? 1 : start.Replica;
        if (replica < 1 || replica > service.Replicas)
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"no replica {replica} of service {start.Service}: it has {(service.Replicas == 1 ? "1 replica" : $"{service.Replicas} replicas")}"));
        }

        logger.ExecStarted(project, start.Service, replica);
        try
        {
            await exec.ExecAsync(start, spec, requestStream, responseStream, context).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The caller cancelled or its deadline passed: the command was stopped with it.
        }
    }

    public override async Task RunService(IAsyncStreamReader<ExecRequest> requestStream, IServerStreamWriter<ExecResponse> responseStream, ServerCallContext context)
    {
        var cancellationToken = context.CancellationToken;
        if (!await requestStream.MoveNext(cancellationToken).ConfigureAwait(false) || requestStream.Current.MessageCase != ExecRequest.MessageOneofCase.Run)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "the first message of a run must be a RunStart"));
        }

        var start = requestStream.Current.Run;
        var project = RequireName(start.Project);
        if (start.Command.Count > 0 && start.Command[0].Length == 0)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "command: the program to run is empty"));
        }

        var (spec, service) = await ServiceAsync(project, start.Service, cancellationToken).ConfigureAwait(false);
        logger.RunStarted(project, start.Service);
        try
        {
            await exec.RunOnceAsync(start, spec, service, requestStream, responseStream, context).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The caller cancelled or its deadline passed: the one-off was stopped and removed with it.
        }
    }

    /// <summary>The accepted spec and one of its services; NOT_FOUND naming what is unknown, FAILED_PRECONDITION when undeployed.</summary>
    private async Task<(ProjectSpec Spec, ServiceSpec Service)> ServiceAsync(string project, string name, CancellationToken cancellationToken)
    {
        var intent = await Store(() => store.IntentAsync(project, cancellationToken)).ConfigureAwait(false) ?? throw NotFound(project);
        var spec = IntentStore.Spec(intent)
            ?? throw new RpcException(new Status(StatusCode.FailedPrecondition, $"\"{project}\" is undeployed (generation {intent.Generation}): it has no replicas"));
        return spec.Services.TryGetValue(name, out var service)
            ? (spec, service)
            : throw new RpcException(new Status(StatusCode.NotFound, $"no such service: {name} (\"{project}\" has {string.Join(", ", spec.Services.Keys.Order(StringComparer.Ordinal))})"));
    }
}
