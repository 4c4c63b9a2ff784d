using Grpc.Core;
using Microsoft.Extensions.Logging;
using Nanokit.Runtime;
using Nanokit.Server.Api.V1;
using Nanokit.Server.Events;
using Nanokit.Server.Intents;
using Nanokit.Server.Runtime;
using Npgsql;

namespace Nanokit.Server.Api;

/// <summary>
/// nanokit.v1.Projects: writes intents and reads status, both from PostgreSQL; nothing here waits for a run or calls
/// a runtime. A store that cannot be reached is UNAVAILABLE (the caller may retry: an intent is written in one
/// transaction, so a failed write left nothing behind).
/// </summary>
internal sealed partial class ProjectsService(
    IntentStore store, EventLog events, EventFeed feed, ObservedStore observed, LogRouter logs, ExecRouter exec, Akka.Actor.ActorSystem system, ServerSettings settings, ILogger<ProjectsService> logger)
    : Projects.ProjectsBase
{
    private const int DefaultPageSize = 100;
    private const int MaxPageSize = 1000;

    public override async Task<ApplyProjectResponse> ApplyProject(ApplyProjectRequest request, ServerCallContext context)
    {
        var spec = SpecLoader.Load(request, settings.ProjectsDirectory, settings.ScratchDirectory);
        var accepted = await Store(() => store.ApplyAsync(spec, Node, context.CancellationToken)).ConfigureAwait(false);
        logger.IntentAccepted(spec.Name, accepted.Generation);
        return new ApplyProjectResponse { Project = spec.Name, Generation = accepted.Generation, Revision = accepted.Revision };
    }

    public override async Task<DeleteProjectResponse> DeleteProject(DeleteProjectRequest request, ServerCallContext context)
    {
        var stopTimeout = request.HasStopTimeoutSeconds ? StopTimeout(request.StopTimeoutSeconds) : (TimeSpan?)null;
        var accepted = await Store(() => store.DeleteAsync(RequireName(request.Project), stopTimeout, Node, context.CancellationToken)).ConfigureAwait(false)
            ?? throw NotFound(request.Project);
        logger.IntentAccepted(request.Project, accepted.Generation);
        return new DeleteProjectResponse { Project = request.Project, Generation = accepted.Generation, Revision = accepted.Revision };
    }

    public override async Task<Project> GetProject(GetProjectRequest request, ServerCallContext context)
    {
        var view = await Store(() => store.GetAsync(RequireName(request.Project), context.CancellationToken)).ConfigureAwait(false)
            ?? throw NotFound(request.Project);
        var project = ToMessage(view);
        if (await Store(() => observed.ReadAsync(view.Name, context.CancellationToken)).ConfigureAwait(false) is { } seen)
        {
            project.ReplicasObservedAt = seen.At.UtcDateTime.ToString("O");
            project.Replicas.AddRange(seen.State.Replicas
                .OrderBy(r => r.Service, StringComparer.Ordinal).ThenBy(r => r.Replica)
                .Select(r =>
                {
                    var replica = new ReplicaStatus { Service = r.Service, Replica = r.Replica, State = r.State.ToString().ToLowerInvariant(), Id = r.Id ?? "", Generation = r.Generation, ConfigHash = r.ConfigHash, Image = r.AppliedDefinition?.Image ?? "" };
                    replica.Ports.AddRange((r.AppliedDefinition?.Ports ?? []).Select(p => p.ToString()));
                    if (r.ExitCode is { } code)
                    {
                        replica.ExitCode = code;
                    }

                    return replica;
                }));
        }

        // `nkapp ps -a` shows a replica of a service kept stopped as "stopped", as embedded ps does.
        project.StoppedServices.AddRange(view.Stopped.Order(StringComparer.Ordinal));

        return project;
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

    /// <summary>
    /// Sends the log after the asked revision page by page (one page in memory; each write waits for HTTP/2 flow
    /// control, so a slow reader slows only its own stream), then waits for a notification or the poll interval.
    /// Ends when the caller cancels or its deadline passes. The log is in the store, so this node need not own the
    /// project, and a stream that broke with its node resumes on another from the last revision it received.
    /// </summary>
    public override async Task WatchProject(WatchProjectRequest request, IServerStreamWriter<ProjectEvent> responseStream, ServerCallContext context)
    {
        var project = RequireName(request.Project);
        if (request.AfterRevision < 0)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "after_revision must be 0 or more"));
        }

        var cancellationToken = context.CancellationToken;
        using var subscription = feed.Subscribe(project);
        var newest = await Store(() => events.RevisionAsync(project, cancellationToken)).ConfigureAwait(false) ?? throw NotFound(project);
        if (request.AfterRevision > newest)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"after_revision {request.AfterRevision} is beyond the newest revision of \"{project}\", {newest}"));
        }

        var after = request.AfterRevision;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                // The node's shared tail of the project when it holds what comes next; the store while this watch is further behind.
                var page = subscription.Tail.After(after, settings.Watch.PageSize)
                    ?? await Store(() => events.ReadAsync(project, after, settings.Watch.PageSize, cancellationToken)).ConfigureAwait(false);
                if (page.Length > 0 && page[0].Revision > after + 1)
                {
                    throw new RpcException(new Status(StatusCode.FailedPrecondition, $"the events of \"{project}\" after revision {after} up to {page[0].Revision - 1} were pruned (nanokit.server.events.keep); read GetProject and watch from its revision"));
                }

                foreach (var e in page)
                {
                    await responseStream.WriteAsync(e, cancellationToken).ConfigureAwait(false);
                    after = e.Revision;
                }

                if (page.Length < settings.Watch.PageSize)
                {
                    await subscription.WaitAsync(settings.Watch.PollInterval, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The caller cancelled or its deadline passed: gRPC has already answered CANCELLED or DEADLINE_EXCEEDED.
        }
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
            Revision = view.Revision,
        };
        project.Failures.AddRange(view.Failures);
        return project;
    }

    /// <summary>This node's cluster address, recorded with the intents it accepts.</summary>
    private string Node => Akka.Cluster.Cluster.Get(system).SelfAddress.ToString();

    private static string RequireName(string project) => project.Length > 0
        ? project
        : throw new RpcException(new Status(StatusCode.InvalidArgument, "project is required"));

    private static TimeSpan StopTimeout(double seconds) => StopTimeouts.Check(seconds) is { } why
        ? throw new RpcException(new Status(StatusCode.InvalidArgument, $"stop_timeout_seconds {seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}: {why}"))
        : TimeSpan.FromSeconds(seconds);

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
