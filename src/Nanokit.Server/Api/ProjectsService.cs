using Grpc.Core;
using Microsoft.Extensions.Logging;
using Nanokit.Server.Api.V1;
using Nanokit.Server.Intents;
using Npgsql;

namespace Nanokit.Server.Api;

/// <summary>
/// nanokit.v1.Projects: writes intents and reads status, both from PostgreSQL; nothing here waits for a run or calls
/// a runtime. A store that cannot be reached is UNAVAILABLE (the caller may retry: an intent is written in one
/// transaction, so a failed write left nothing behind).
/// </summary>
internal sealed class ProjectsService(IntentStore store, ServerSettings settings, ILogger<ProjectsService> logger) : Projects.ProjectsBase
{
    private const int DefaultPageSize = 100;
    private const int MaxPageSize = 1000;

    public override async Task<ApplyProjectResponse> ApplyProject(ApplyProjectRequest request, ServerCallContext context)
    {
        var spec = SpecLoader.Load(request, settings.ProjectsDirectory);
        var generation = await Store(() => store.ApplyAsync(spec, context.CancellationToken)).ConfigureAwait(false);
        logger.IntentAccepted(spec.Name, generation);
        return new ApplyProjectResponse { Project = spec.Name, Generation = generation };
    }

    public override async Task<DeleteProjectResponse> DeleteProject(DeleteProjectRequest request, ServerCallContext context)
    {
        var generation = await Store(() => store.DeleteAsync(RequireName(request.Project), context.CancellationToken)).ConfigureAwait(false)
            ?? throw NotFound(request.Project);
        logger.IntentAccepted(request.Project, generation);
        return new DeleteProjectResponse { Project = request.Project, Generation = generation };
    }

    public override async Task<Project> GetProject(GetProjectRequest request, ServerCallContext context)
    {
        var view = await Store(() => store.GetAsync(RequireName(request.Project), context.CancellationToken)).ConfigureAwait(false)
            ?? throw NotFound(request.Project);
        return ToMessage(view);
    }

    public override async Task<ListProjectsResponse> ListProjects(ListProjectsRequest request, ServerCallContext context)
    {
        var size = request.PageSize switch
        {
            0 => DefaultPageSize,
            < 0 or > MaxPageSize => throw new RpcException(new Status(StatusCode.InvalidArgument, $"page_size must be 0..{MaxPageSize}")),
            _ => request.PageSize,
        };
        var offset = 0;
        if (request.PageToken.Length > 0 && (!int.TryParse(request.PageToken, out offset) || offset < 0))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "page_token is not one this server returned"));
        }

        // One more than asked: whether there is a next page.
        var views = await Store(() => store.ListAsync(size + 1, offset, context.CancellationToken)).ConfigureAwait(false);
        var response = new ListProjectsResponse { NextPageToken = views.Length > size ? (offset + size).ToString(System.Globalization.CultureInfo.InvariantCulture) : "" };
        response.Projects.AddRange(views.Take(size).Select(ToMessage));
        return response;
    }

    internal static Project ToMessage(ProjectView view)
    {
        var project = new Project
        {
            Name = view.Name,
            Generation = view.Generation,
            ObservedGeneration = view.ObservedGeneration,
            DesiredState = view.Desired == "deployed" ? DesiredState.Deployed : DesiredState.Undeployed,
            Runtime = view.Runtime,
            Phase = view.Phase,
            Owner = view.Owner,
            AcceptedAt = view.AcceptedAt.UtcDateTime.ToString("O"),
            UpdatedAt = view.UpdatedAt.UtcDateTime.ToString("O"),
        };
        project.Failures.AddRange(view.Failures);
        return project;
    }

    private static string RequireName(string project) => project.Length > 0
        ? project
        : throw new RpcException(new Status(StatusCode.InvalidArgument, "project is required"));

    private static RpcException NotFound(string project) => new(new Status(StatusCode.NotFound, $"no project named \"{project}\" was ever applied to this cluster"));

    private static async Task<T> Store<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (NpgsqlException e)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, $"the cluster's store cannot be reached: {e.Message}"));
        }
    }
}
