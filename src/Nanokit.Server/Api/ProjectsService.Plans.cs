using Grpc.Core;
using Nanokit.Core.Graph;
using Nanokit.Core.Model;
using Nanokit.Core.Plan;
using Nanokit.Runtime;
using Nanokit.Server.Api.V1;
using Nanokit.Server.Intents;

namespace Nanokit.Server.Api;

/// <summary>
/// PlanProject, CheckDrift and StreamLogs. PlanProject and CheckDrift: the pure planner over the desired spec and the observed state the owner last recorded
/// (<see cref="Runtime.ObservedStore"/>), with the replicas' restart counts the owner recorded there, so a replica whose
/// <c>on-failure:N</c> is spent is planned to stay exited, as the owner and the embedded CLI plan it. Neither calls a
/// runtime nor writes anything; both say when, and by which node, the state they planned against was observed.
/// </summary>
internal sealed partial class ProjectsService
{
    public override async Task<PlanProjectResponse> PlanProject(PlanProjectRequest request, ServerCallContext context)
    {
        var spec = SpecLoader.Load(request.Source ?? new ApplyProjectRequest(), settings.ProjectsDirectory, settings.ScratchDirectory);
        var seen = await Store(() => observed.ReadAsync(spec.Name, context.CancellationToken)).ConfigureAwait(false);
        var options = new PlanOptions
        {
            Services = [.. request.Services],
            RemoveOrphans = request.HasRemoveOrphans ? request.RemoveOrphans : null,
            RestartCounts = seen?.Restarts ?? [],
        };
        var plan = Plan(spec, seen?.State ?? ObservedState.Empty, options);
        return new PlanProjectResponse
        {
            Project = spec.Name,
            Runtime = plan.Runtime ?? "",
            Text = plan.ToString(),
            Json = PlanJsonRenderer.Render(plan, indented: true),
            HasChanges = plan.HasChanges,
            ObservedAt = seen?.At.UtcDateTime.ToString("O") ?? "",
            ObservedBy = seen?.Owner ?? "",
        };
    }

    public override async Task<CheckDriftResponse> CheckDrift(CheckDriftRequest request, ServerCallContext context)
    {
        var project = RequireName(request.Project);
        var intent = await Store(() => store.IntentAsync(project, context.CancellationToken)).ConfigureAwait(false) ?? throw NotFound(project);
        if (IntentStore.Spec(intent) is not { } spec)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, $"\"{project}\" is undeployed (generation {intent.Generation}): there is nothing to drift from"));
        }

        var seen = await Store(() => observed.ReadAsync(project, context.CancellationToken)).ConfigureAwait(false)
            ?? throw new RpcException(new Status(StatusCode.FailedPrecondition, $"\"{project}\" has not been observed by its owner yet; retry once its first run started"));
        var plan = Plan(spec, seen.State, new PlanOptions { RestartCounts = seen.Restarts, Stopped = intent.Stopped });
        return new CheckDriftResponse
        {
            Project = project,
            Generation = intent.Generation,
            Drifted = plan.HasChanges,
            Plan = plan.ToString(),
            ObservedAt = seen.At.UtcDateTime.ToString("O"),
            ObservedBy = seen.Owner,
        };
    }

    /// <summary>Validated here, served where the replicas run (<see cref="LogRouter"/>).</summary>
    public override async Task StreamLogs(StreamLogsRequest request, IServerStreamWriter<LogLine> responseStream, ServerCallContext context)
    {
        var project = RequireName(request.Project);
        if (request.HasTail && request.Tail < 0)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "tail must be 0 or more"));
        }

        if (request.Since.Length > 0 && !LogTimes.TryParse(request.Since, out _))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"since: '{request.Since}' is not an RFC 3339 timestamp (2026-01-02T15:04:05Z)"));
        }

        var intent = await Store(() => store.IntentAsync(project, context.CancellationToken)).ConfigureAwait(false) ?? throw NotFound(project);
        var spec = IntentStore.Spec(intent)
            ?? throw new RpcException(new Status(StatusCode.FailedPrecondition, $"\"{project}\" is undeployed (generation {intent.Generation}): it has no replicas"));
        if (request.Services.FirstOrDefault(s => !spec.Services.ContainsKey(s)) is { } unknown)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"no such service: {unknown} (the file has {string.Join(", ", spec.Services.Keys.Order(StringComparer.Ordinal))})"));
        }

        try
        {
            await logs.StreamAsync(request, spec, responseStream, context).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            // The caller cancelled (or stopped following) or its deadline passed.
        }
    }

    private static ServicePlan Plan(ProjectSpec spec, ObservedState state, PlanOptions options)
    {
        try
        {
            return PlanEngine.Plan(spec, GraphEngine.Build(spec), state, options);
        }
        catch (UnknownServiceException e)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"{e.Message} (the file has {string.Join(", ", spec.Services.Keys.Order(StringComparer.Ordinal))})"));
        }
    }
}
