using Grpc.Core;
using Nanokit.Server.Api.V1;
using Npgsql;

namespace Nanokit.Server.Tests;

/// <summary>WatchProject on the shared three-node cluster: any node serves any project's events, in revision order.</summary>
[Collection(ClusterCollection.Name)]
public sealed class WatchTests(ClusterFixture cluster)
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_watch_on_any_node_streams_the_accepted_intent_and_its_run_in_revision_order_and_resumes_after_any_revision()
    {
        var accepted = await new Projects.ProjectsClient(cluster.Nodes[0].Channel).ApplyProjectAsync(TestFiles.Apply(TestFiles.Project("watched")), TestFiles.As(TestFiles.WriteToken));
        var run = await UntilConvergedAsync(cluster.Nodes[2], "watched", accepted.Revision - 1, accepted.Generation);

        Assert.Equal(accepted.Revision, run[0].Revision);
        Assert.Equal(ProjectEvent.EventOneofCase.IntentAccepted, run[0].EventCase);
        Assert.Equal(DesiredState.Deployed, run[0].IntentAccepted.DesiredState);
        Assert.Equal(Enumerable.Range(0, run.Count).Select(i => accepted.Revision + i), run.Select(e => e.Revision));
        var started = run.Single(e => e.EventCase == ProjectEvent.EventOneofCase.RunStarted && e.Generation == accepted.Generation).RunStarted;
        Assert.Equal("apply", started.Trigger);
        Assert.Equal(2, started.Add);
        Assert.Contains(run, e => e.EventCase == ProjectEvent.EventOneofCase.ServiceProgress && e.ServiceProgress.Service == "api" && e.ServiceProgress.Phase == "succeeded");
        var completed = run[^1];
        Assert.True(completed.RunCompleted.Succeeded);
        Assert.Contains(completed.Node, cluster.Nodes.Select(n => n.ClusterAddress));

        // Resumed from the middle on another node: exactly the events after that revision, unchanged.
        var middle = run[run.Count / 2].Revision;
        var resumed = await UntilConvergedAsync(cluster.Nodes[1], "watched", middle, accepted.Generation);
        Assert.Equal(run.Where(e => e.Revision > middle), resumed);
    }

    [Fact]
    public async Task Many_watches_of_one_project_on_one_node_all_see_its_next_run_with_fewer_reads_of_the_log_than_watches()
    {
        const int watches = 20;
        var node = cluster.Nodes[1];
        var client = new Projects.ProjectsClient(node.Channel);
        var accepted = await client.ApplyProjectAsync(TestFiles.Apply(TestFiles.Project("fan-out")), TestFiles.As(TestFiles.WriteToken));
        var converged = await TestFiles.ConvergedAsync(node, "fan-out", accepted.Generation, Converge);
        using var cancel = new CancellationTokenSource(Converge);
        var streams = Enumerable.Range(0, watches)
            .Select(_ => client.WatchProject(new WatchProjectRequest { Project = "fan-out", AfterRevision = converged.Revision - 1 }, TestFiles.As(TestFiles.ReadToken), cancellationToken: cancel.Token))
            .ToList();
        try
        {
            // Each stream has sent the newest event: all are registered with the node.
            foreach (var stream in streams)
            {
                Assert.True(await stream.ResponseStream.MoveNext(cancel.Token));
                Assert.Equal(converged.Revision, stream.ResponseStream.Current.Revision);
            }

            var before = await ReadsAsync(node);
            var next = await new Projects.ProjectsClient(cluster.Nodes[0].Channel).ApplyProjectAsync(TestFiles.Apply(TestFiles.Project("fan-out", "nginx:1.28")), TestFiles.As(TestFiles.WriteToken));
            await Task.WhenAll(streams.Select(async stream =>
            {
                while (await stream.ResponseStream.MoveNext(cancel.Token))
                {
                    if (stream.ResponseStream.Current is { EventCase: ProjectEvent.EventOneofCase.RunCompleted } e && e.Generation == next.Generation)
                    {
                        return;
                    }
                }
            }));

            var reads = await ReadsAsync(node) - before;
            Assert.True(reads < watches, $"{reads} reads of the event log for {watches} watches of one project");
        }
        finally
        {
            foreach (var stream in streams)
            {
                stream.Dispose();
            }
        }
    }

    /// <summary>nanokit_events_reads_total on <paramref name="node"/>.</summary>
    private static async Task<long> ReadsAsync(ServerNode node)
    {
        var text = await node.Http.GetStringAsync("/metrics");
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith("nanokit_events_reads_total", StringComparison.Ordinal));
        return line is null ? 0 : (long)double.Parse(line.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task A_watch_ends_at_its_deadline_and_refuses_unknown_projects_and_revisions_beyond_the_newest()
    {
        var client = new Projects.ProjectsClient(cluster.Nodes[1].Channel);
        var accepted = await client.ApplyProjectAsync(TestFiles.Apply(TestFiles.Project("watch-limits")), TestFiles.As(TestFiles.WriteToken));
        var converged = await TestFiles.ConvergedAsync(cluster.Nodes[1], "watch-limits", accepted.Generation, Converge);

        using var idle = client.WatchProject(new WatchProjectRequest { Project = "watch-limits", AfterRevision = converged.Revision }, TestFiles.As(TestFiles.ReadToken), DateTime.UtcNow.AddSeconds(1));
        var deadline = await Assert.ThrowsAsync<RpcException>(() => idle.ResponseStream.MoveNext());
        Assert.Equal(StatusCode.DeadlineExceeded, deadline.StatusCode);

        Assert.Equal(StatusCode.NotFound, await RefusalAsync(client, new WatchProjectRequest { Project = "never-applied" }));
        Assert.Equal(StatusCode.InvalidArgument, await RefusalAsync(client, new WatchProjectRequest { Project = "watch-limits", AfterRevision = converged.Revision + 1000 }));
        Assert.Equal(StatusCode.InvalidArgument, await RefusalAsync(client, new WatchProjectRequest { Project = "" }));
    }

    [Fact]
    public async Task Resuming_before_pruned_events_is_FAILED_PRECONDITION_and_watching_from_the_projects_revision_works()
    {
        var client = new Projects.ProjectsClient(cluster.Nodes[0].Channel);
        var accepted = await client.ApplyProjectAsync(TestFiles.Apply(TestFiles.Project("pruned")), TestFiles.As(TestFiles.WriteToken));
        var converged = await TestFiles.ConvergedAsync(cluster.Nodes[0], "pruned", accepted.Generation, Converge);
        await using (var dataSource = NpgsqlDataSource.Create(cluster.Store))
        {
            // What nanokit.server.events.keep does to a long log.
            await using var prune = dataSource.CreateCommand("DELETE FROM nanokit_events WHERE project = 'pruned' AND revision < @newest;");
            prune.Parameters.AddWithValue("newest", converged.Revision);
            await prune.ExecuteNonQueryAsync();
        }

        Assert.Equal(StatusCode.FailedPrecondition, await RefusalAsync(client, new WatchProjectRequest { Project = "pruned" }));

        var next = await client.ApplyProjectAsync(TestFiles.Apply(TestFiles.Project("pruned", "nginx:1.28")), TestFiles.As(TestFiles.WriteToken));
        var run = await UntilConvergedAsync(cluster.Nodes[0], "pruned", converged.Revision, next.Generation);
        Assert.Equal(next.Revision, run[0].Revision);
    }

    [Fact]
    public async Task Cancelling_a_watch_ends_it_on_the_client_with_CANCELLED()
    {
        var client = new Projects.ProjectsClient(cluster.Nodes[2].Channel);
        var accepted = await client.ApplyProjectAsync(TestFiles.Apply(TestFiles.Project("watch-cancel")), TestFiles.As(TestFiles.WriteToken));
        using var cancel = new CancellationTokenSource();
        using var call = client.WatchProject(new WatchProjectRequest { Project = "watch-cancel", AfterRevision = accepted.Revision - 1 }, TestFiles.As(TestFiles.ReadToken), cancellationToken: cancel.Token);
        Assert.True(await call.ResponseStream.MoveNext());
        Assert.Equal(accepted.Revision, call.ResponseStream.Current.Revision);
        cancel.Cancel();
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await call.ResponseStream.MoveNext())
            {
            }
        });
        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
    }

    [Fact]
    public async Task A_flood_of_watches_past_the_nodes_maximum_is_RESOURCE_EXHAUSTED_and_a_closed_watch_frees_its_place()
    {
        var node = cluster.Nodes[0];
        var client = new Projects.ProjectsClient(node.Channel);
        var accepted = await client.ApplyProjectAsync(TestFiles.Apply(TestFiles.Project("flooded")), TestFiles.As(TestFiles.WriteToken));
        var calls = new List<AsyncServerStreamingCall<ProjectEvent>>();
        try
        {
            for (var i = 0; i < TestFiles.MaxWatches; i++)
            {
                var call = client.WatchProject(new WatchProjectRequest { Project = "flooded", AfterRevision = accepted.Revision - 1 }, TestFiles.As(TestFiles.ReadToken), DateTime.UtcNow + Converge);
                calls.Add(call);
                // An event received: the stream is registered on the node.
                Assert.True(await call.ResponseStream.MoveNext());
            }

            Assert.Equal(StatusCode.ResourceExhausted, await RefusalAsync(client, new WatchProjectRequest { Project = "flooded" }));
            // The node keeps serving everything else meanwhile.
            Assert.Equal("flooded", (await client.GetProjectAsync(new GetProjectRequest { Project = "flooded" }, TestFiles.As(TestFiles.ReadToken))).Name);

            calls[0].Dispose();
            calls.RemoveAt(0);
            await Eventually.Async(TimeSpan.FromSeconds(10), async () =>
            {
                using var again = client.WatchProject(new WatchProjectRequest { Project = "flooded", AfterRevision = accepted.Revision - 1 }, TestFiles.As(TestFiles.ReadToken), DateTime.UtcNow.AddSeconds(10));
                Assert.True(await again.ResponseStream.MoveNext());
            });
        }
        finally
        {
            foreach (var call in calls)
            {
                call.Dispose();
            }
        }
    }

    [Fact]
    public async Task Drift_is_NOT_FOUND_for_an_unknown_project_and_FAILED_PRECONDITION_once_undeployed()
    {
        var client = new Projects.ProjectsClient(cluster.Nodes[2].Channel);
        var missing = await Assert.ThrowsAsync<RpcException>(() => client.CheckDriftAsync(new CheckDriftRequest { Project = "never-applied" }, TestFiles.As(TestFiles.ReadToken)).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
        await client.ApplyProjectAsync(TestFiles.Apply(TestFiles.Project("drift-undeployed")), TestFiles.As(TestFiles.WriteToken));
        await client.DeleteProjectAsync(new DeleteProjectRequest { Project = "drift-undeployed" }, TestFiles.As(TestFiles.WriteToken));
        var undeployed = await Assert.ThrowsAsync<RpcException>(() => client.CheckDriftAsync(new CheckDriftRequest { Project = "drift-undeployed" }, TestFiles.As(TestFiles.ReadToken)).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, undeployed.StatusCode);
        Assert.Contains("undeployed", undeployed.Status.Detail);
    }

    /// <summary>The events after <paramref name="after"/> up to the first completed run of <paramref name="generation"/>.</summary>
    internal static async Task<List<ProjectEvent>> UntilConvergedAsync(ServerNode node, string project, long after, long generation)
    {
        var client = new Projects.ProjectsClient(node.Channel);
        using var call = client.WatchProject(new WatchProjectRequest { Project = project, AfterRevision = after }, TestFiles.As(TestFiles.ReadToken), DateTime.UtcNow + Converge);
        var events = new List<ProjectEvent>();
        await foreach (var e in call.ResponseStream.ReadAllAsync())
        {
            events.Add(e);
            if (e.EventCase == ProjectEvent.EventOneofCase.RunCompleted && e.Generation >= generation)
            {
                return events;
            }
        }

        throw new InvalidOperationException("the watch ended before the run completed");
    }

    private static async Task<StatusCode> RefusalAsync(Projects.ProjectsClient client, WatchProjectRequest request)
    {
        using var call = client.WatchProject(request, TestFiles.As(TestFiles.ReadToken), DateTime.UtcNow.AddSeconds(20));
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext());
        return error.StatusCode;
    }
}
