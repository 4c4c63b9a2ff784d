using System.Text.Json;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Nanokit.Server.Cluster;
using Npgsql;

namespace Nanokit.Server.Management;

/// <summary>
/// Management HTTP on the API's listener, read-only and without a token (as orchestrators and scrapers expect):
/// <c>/health/alive</c> (the actor system runs), <c>/health/ready</c> (also: this node is an Up cluster member and
/// the store answers), <c>/cluster/members</c> (with when each node last started, as it registered in the store) and
/// <c>/cluster/shards</c> as JSON.
/// </summary>
internal static class ManagementEndpoints
{
    public const string AliveTag = "alive";
    public const string ReadyTag = "ready";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/health/alive", new HealthCheckOptions { Predicate = check => check.Tags.Contains(AliveTag) });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains(ReadyTag) });
        app.MapGet("/cluster/members", async (ActorSystem system, NodeDirectory nodes, CancellationToken cancellationToken) =>
        {
            var view = Membership.Of(system);
            IReadOnlyDictionary<string, DateTimeOffset> started;
            try
            {
                started = await nodes.StartedAtAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (NpgsqlException)
            {
                // Membership is gossip, not the store's: it is still answered, without start times.
                started = new Dictionary<string, DateTimeOffset>();
            }

            return Results.Json(
                new
                {
                    view.Self,
                    view.Leader,
                    Members = view.Members.Select(m => new
                    {
                        m.Address,
                        m.Status,
                        m.Roles,
                        m.AgeRank,
                        StartedAt = started.TryGetValue(m.Address, out var at) ? at.UtcDateTime.ToString("O") : null,
                    }),
                },
                Json);
        });
        app.MapGet("/cluster/shards", async (IRequiredActor<ProjectShards> shards, CancellationToken cancellationToken) =>
        {
            var region = await shards.GetAsync(cancellationToken).ConfigureAwait(false);
            var stats = await region.Ask<ClusterShardingStats>(new GetClusterShardingStats(TimeSpan.FromSeconds(3)), TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
            return Results.Json(
                stats.Regions.OrderBy(r => r.Key.ToString(), StringComparer.Ordinal).Select(r => new
                {
                    node = r.Key.ToString(),
                    shards = r.Value.Stats.Count,
                    projects = r.Value.Stats.Values.Sum(),
                    failed = r.Value.Failed.Count,
                }),
                Json);
        });
    }
}
