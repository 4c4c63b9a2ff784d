using Grpc.Core;
using Nanokit.Server.Api.V1;
using Nanokit.Server.Intents;

namespace Nanokit.Server.Api;

/// <summary>
/// ExecService: the first message is checked here, against the accepted intent (project, service, replica), on
/// whichever node answers, so a refusal costs no forwarding; the command runs where the replica does (<see cref="ExecRouter"/>).
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

        var intent = await Store(() => store.IntentAsync(project, cancellationToken)).ConfigureAwait(false) ?? throw NotFound(project);
        var spec = IntentStore.Spec(intent)
            ?? throw new RpcException(new Status(StatusCode.FailedPrecondition, $"\"{project}\" is undeployed (generation {intent.Generation}): it has no replicas"));
        if (!spec.Services.TryGetValue(start.Service, out var service))
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"no such service: {start.Service} (\"{project}\" has {string.Join(", ", spec.Services.Keys.Order(StringComparer.Ordinal))})"));
        }

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
}
