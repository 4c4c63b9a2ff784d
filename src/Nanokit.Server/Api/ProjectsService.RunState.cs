using System.Collections.Immutable;
using Grpc.Core;
using Nanokit.Server.Api.V1;
using Nanokit.Server.Intents;

namespace Nanokit.Server.Api;

/// <summary>
/// StopServices, StartServices and RestartServices: three verbs, as the CLI and Compose spell them, each a new
/// generation of the accepted spec whose intent carries the stopped set (so whichever node owns the project, after a
/// failover too, keeps those services stopped through drift heals) and, for a restart, the services its run restarts.
/// The services are checked against the spec the new generation is written over: the write happens only if no other
/// intent came in between, and is checked again against that one otherwise.
/// </summary>
internal sealed partial class ProjectsService
{
    // Each try loses only to another intent of the same project accepted meanwhile; that many in a row is a caller
    // racing itself, told to retry.
    private const int RunStateAttempts = 5;

    public override Task<ChangeRunStateResponse> StopServices(StopServicesRequest request, ServerCallContext context) =>
        ChangeRunStateAsync(request.Project, request.Services, "stop", request.HasStopTimeoutSeconds ? StopTimeout(request.StopTimeoutSeconds) : null, context);

    public override Task<ChangeRunStateResponse> StartServices(StartServicesRequest request, ServerCallContext context) =>
        ChangeRunStateAsync(request.Project, request.Services, "start", null, context);

    public override Task<ChangeRunStateResponse> RestartServices(RestartServicesRequest request, ServerCallContext context) =>
        ChangeRunStateAsync(request.Project, request.Services, "restart", request.HasStopTimeoutSeconds ? StopTimeout(request.StopTimeoutSeconds) : null, context);

    private async Task<ChangeRunStateResponse> ChangeRunStateAsync(string project, IReadOnlyList<string> named, string verb, TimeSpan? stopTimeout, ServerCallContext context)
    {
        RequireName(project);
        var cancellationToken = context.CancellationToken;
        for (var attempt = 1; attempt <= RunStateAttempts; attempt++)
        {
            var intent = await Store(() => store.IntentAsync(project, cancellationToken)).ConfigureAwait(false) ?? throw NotFound(project);
            var spec = IntentStore.Spec(intent)
                ?? throw new RpcException(new Status(StatusCode.FailedPrecondition, $"nothing is applied: generation {intent.Generation} is undeployed; run `nkapp up` first"));
            if (named.FirstOrDefault(s => !spec.Services.ContainsKey(s)) is { } unknown)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"no such service in generation {intent.Generation}: {unknown}"));
            }

            IEnumerable<string> services = named.Count == 0 ? spec.Services.Keys : named;
            var stopped = verb == "stop" ? intent.Stopped.Union(services) : intent.Stopped.Except(services);
            ImmutableArray<string> restart = verb == "restart" ? [.. services.Distinct().Order(StringComparer.Ordinal)] : [];
            var accepted = await Store(() => store.ChangeRunStateAsync(project, intent.Generation, [.. stopped.Order(StringComparer.Ordinal)], restart, stopTimeout, Node, cancellationToken)).ConfigureAwait(false);
            if (accepted is not null)
            {
                logger.IntentAccepted(project, accepted.Generation);
                return new ChangeRunStateResponse { Project = project, Generation = accepted.Generation, Revision = accepted.Revision };
            }
        }

        throw new RpcException(new Status(StatusCode.Aborted, $"\"{project}\" got {RunStateAttempts} other intents while this {verb} was checked against each; nothing was changed, retry"));
    }
}
