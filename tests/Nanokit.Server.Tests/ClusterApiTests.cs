using System.Net;
using System.Text.Json;
using Grpc.Core;
using Grpc.Health.V1;
using Nanokit.Server.Api.V1;

namespace Nanokit.Server.Tests;

/// <summary>The API of a three-node cluster, driven only through gRPC and management HTTP.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterApiTests(ClusterFixture cluster)
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_project_applied_on_one_node_converges_and_every_node_reads_its_status()
    {
        var client = new Projects.ProjectsClient(cluster.Nodes[0].Channel);
        var accepted = await client.ApplyProjectAsync(TestFiles.Apply(TestFiles.Project("shop")), TestFiles.As(TestFiles.WriteToken));
        Assert.Equal("shop", accepted.Project);
        Assert.True(accepted.Generation >= 1);

        foreach (var node in cluster.Nodes)
        {
            var project = await TestFiles.ConvergedAsync(node, "shop", accepted.Generation, Converge);
            Assert.Equal(DesiredState.Deployed, project.DesiredState);
            Assert.Contains(project.Owner, cluster.Nodes.Select(n => n.ClusterAddress));
        }

        var again = await client.ApplyProjectAsync(TestFiles.Apply(TestFiles.Project("shop", "nginx:1.28")), TestFiles.As(TestFiles.WriteToken));
        Assert.Equal(accepted.Generation + 1, again.Generation);
        await TestFiles.ConvergedAsync(cluster.Nodes[2], "shop", again.Generation, Converge);
    }

    [Fact]
    public async Task Deleting_a_project_stores_an_undeployed_generation_that_converges()
    {
        var client = new Projects.ProjectsClient(cluster.Nodes[1].Channel);
        var accepted = await client.ApplyProjectAsync(TestFiles.Apply(TestFiles.Project("to-delete")), TestFiles.As(TestFiles.WriteToken));
        var deleted = await client.DeleteProjectAsync(new DeleteProjectRequest { Project = "to-delete" }, TestFiles.As(TestFiles.WriteToken));
        Assert.Equal(accepted.Generation + 1, deleted.Generation);
        var project = await TestFiles.ConvergedAsync(cluster.Nodes[0], "to-delete", deleted.Generation, Converge);
        Assert.Equal(DesiredState.Undeployed, project.DesiredState);
    }

    [Fact]
    public async Task An_invalid_file_is_INVALID_ARGUMENT_naming_every_located_error_and_stores_nothing()
    {
        var client = new Projects.ProjectsClient(cluster.Nodes[0].Channel);
        var yaml = """
            name: broken
            services:
              api:
                image: nginx
                depends_on: [nowhere]
                restart: sometimes
            """;
        var error = await Assert.ThrowsAsync<RpcException>(() => client.ApplyProjectAsync(TestFiles.Apply(yaml), TestFiles.As(TestFiles.WriteToken)).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        var lines = error.Status.Detail.Split('\n');
        Assert.True(lines.Length >= 2, error.Status.Detail);
        Assert.All(lines, line => Assert.StartsWith("nanokit.yml:", line));
        var missing = await Assert.ThrowsAsync<RpcException>(() => client.GetProjectAsync(new GetProjectRequest { Project = "broken" }, TestFiles.As(TestFiles.ReadToken)).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task A_call_without_a_known_token_is_UNAUTHENTICATED_and_a_read_token_cannot_apply()
    {
        var client = new Projects.ProjectsClient(cluster.Nodes[2].Channel);
        var request = TestFiles.Apply(TestFiles.Project("forbidden"));
        var none = await Assert.ThrowsAsync<RpcException>(() => client.ApplyProjectAsync(request).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, none.StatusCode);
        var unknown = await Assert.ThrowsAsync<RpcException>(() => client.ListProjectsAsync(new ListProjectsRequest(), TestFiles.As("not-a-token")).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, unknown.StatusCode);
        var reader = await Assert.ThrowsAsync<RpcException>(() => client.ApplyProjectAsync(request, TestFiles.As(TestFiles.ReadToken)).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, reader.StatusCode);
        await client.ListProjectsAsync(new ListProjectsRequest(), TestFiles.As(TestFiles.ReadToken));
    }

    [Fact]
    public async Task A_request_over_the_size_limit_is_RESOURCE_EXHAUSTED()
    {
        var client = new Projects.ProjectsClient(cluster.Nodes[0].Channel);
        var request = TestFiles.Apply(TestFiles.Project("huge") + "\n#" + new string('x', 5 * 1024 * 1024));
        var error = await Assert.ThrowsAsync<RpcException>(() => client.ApplyProjectAsync(request, TestFiles.As(TestFiles.WriteToken)).ResponseAsync);
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    [Fact]
    public async Task Listing_pages_through_projects_with_failing_ones_first()
    {
        var client = new Projects.ProjectsClient(cluster.Nodes[1].Channel);
        foreach (var name in new[] { "page-a", "page-b", "page-c" })
        {
            await client.ApplyProjectAsync(TestFiles.Apply(TestFiles.Project(name)), TestFiles.As(TestFiles.WriteToken));
        }

        var names = new List<string>();
        var token = "";
        do
        {
            var page = await client.ListProjectsAsync(new ListProjectsRequest { PageSize = 2, PageToken = token }, TestFiles.As(TestFiles.ReadToken));
            Assert.True(page.Projects.Count <= 2);
            names.AddRange(page.Projects.Select(p => p.Name));
            token = page.NextPageToken;
        }
        while (token.Length > 0);
        Assert.Subset(names.ToHashSet(), new HashSet<string> { "page-a", "page-b", "page-c" });
        Assert.Equal(names.Count, names.Distinct().Count());
    }

    [Fact]
    public async Task Every_node_lists_the_three_members_up_over_gRPC_and_management_HTTP()
    {
        foreach (var node in cluster.Nodes)
        {
            var members = await new Api.V1.Cluster.ClusterClient(node.Channel).ListMembersAsync(new ListMembersRequest(), TestFiles.As(TestFiles.ReadToken));
            Assert.Equal(node.ClusterAddress, members.Self);
            Assert.Equal(cluster.Nodes.Select(n => n.ClusterAddress).Order(), members.Members.Select(m => m.Address).Order());
            Assert.All(members.Members, m => Assert.Equal("Up", m.Status));

            using var json = JsonDocument.Parse(await node.Http.GetStringAsync("/cluster/members"));
            Assert.Equal(3, json.RootElement.GetProperty("members").GetArrayLength());
            using var alive = await node.Http.GetAsync("/health/alive");
            Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
            using var shards = JsonDocument.Parse(await node.Http.GetStringAsync("/cluster/shards"));
            // Regions answer within the stats timeout; one slowed by load may be missing, never a stranger.
            Assert.All(shards.RootElement.EnumerateArray(), region => Assert.Contains(region.GetProperty("node").GetString(), cluster.Nodes.Select(n => n.ClusterAddress)));
            Assert.InRange(shards.RootElement.GetArrayLength(), 1, 3);
        }
    }

    [Fact]
    public async Task Metrics_are_served_as_Prometheus_text_with_the_reconcile_counter_once_a_project_ran()
    {
        var node = cluster.Nodes[0];
        var accepted = await new Projects.ProjectsClient(node.Channel).ApplyProjectAsync(TestFiles.Apply(TestFiles.Project("metrics")), TestFiles.As(TestFiles.WriteToken));
        var owner = (await TestFiles.ConvergedAsync(node, "metrics", accepted.Generation, Converge)).Owner;

        var text = await cluster.Nodes.Single(n => n.ClusterAddress == owner).Http.GetStringAsync("/metrics");
        Assert.Contains("# TYPE nanokit_reconciles_total counter", text);
    }

    [Fact]
    public async Task The_standard_gRPC_health_service_answers_serving_without_a_token()
    {
        var health = new Health.HealthClient(cluster.Nodes[0].Channel);
        var answer = await health.CheckAsync(new HealthCheckRequest());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, answer.Status);
    }
}
