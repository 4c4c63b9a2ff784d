using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Playwright;
using Nanokit.Server.Api.V1;
using static Microsoft.Playwright.Assertions;
using static Nanokit.Hub.Tests.HubFixture;

namespace Nanokit.Hub.Tests;

/// <summary>
/// The Hub in a real Chromium against a real node: projects are applied over gRPC, as any client does, and the pages
/// must show what the API says about them.
/// </summary>
[Collection(HubCollection.Name)]
public sealed class HubTests(HubFixture hub)
{
    private Projects.ProjectsClient Client => hub.Client;

    [Fact]
    public async Task The_projects_page_lists_a_project_applied_over_gRPC_with_its_phase_generations_and_owner()
    {
        var accepted = await Client.ApplyProjectAsync(Apply(Project("listed")), As(HubNode.WriteToken));
        await hub.ConvergedAsync("listed", accepted.Generation);

        var page = await hub.OpenAsync("#/projects");
        var row = page.Locator("#projects tr[data-project='listed']");
        await Expect(row).ToContainTextAsync("Converged");
        await Expect(row).ToContainTextAsync("deployed");
        await Expect(row).ToContainTextAsync($"{accepted.Generation} / {accepted.Generation}");
        await Expect(row).ToContainTextAsync(hub.Node.ClusterAddress);
        await Expect(row.Locator("a")).ToHaveAttributeAsync("href", "#/projects/listed");
    }

    [Fact]
    public async Task An_open_project_page_shows_a_new_generation_applied_over_gRPC_without_a_reload()
    {
        var first = await Client.ApplyProjectAsync(Apply(Project("live")), As(HubNode.WriteToken));
        await hub.ConvergedAsync("live", first.Generation);
        var page = await hub.OpenAsync("#/projects/live");
        await Expect(page.Locator("#generation")).ToHaveTextAsync(first.Generation.ToString());
        await Expect(page.Locator("#replica-table")).ToContainTextAsync("nginx:1.27");
        await Expect(page.Locator("#replica-table")).ToContainTextAsync("running");
        await Expect(page.Locator("#run-outcome")).ToHaveTextAsync("Succeeded");
        await page.EvaluateAsync("() => { window.nanokitSameDocument = true; }");

        var next = await Client.ApplyProjectAsync(Apply(Project("live", "nginx:1.28")), As(HubNode.WriteToken));
        Assert.Equal(first.Generation + 1, next.Generation);
        await Expect(page.Locator("#generation")).ToHaveTextAsync(next.Generation.ToString());
        await Expect(page.Locator($"#event-list li[data-revision='{next.Revision}']")).ToContainTextAsync("intent accepted: deployed");
        await Expect(page.Locator("#observed-generation")).ToHaveTextAsync(next.Generation.ToString());
        Assert.True(await page.EvaluateAsync<bool>("() => window.nanokitSameDocument === true"), "the page was loaded again: the update did not come from the watch stream");
    }

    [Fact]
    public async Task The_cluster_page_lists_the_node_as_an_Up_member_and_its_shards()
    {
        // A project, so the node hosts at least one shard.
        var accepted = await Client.ApplyProjectAsync(Apply(Project("sharded")), As(HubNode.WriteToken));
        await hub.ConvergedAsync("sharded", accepted.Generation);

        var page = await hub.OpenAsync("#/cluster");
        var member = page.Locator($"#members tr[data-member='{hub.Node.ClusterAddress}']");
        await Expect(member).ToContainTextAsync("Up");
        await Expect(member).ToContainTextAsync("this node");
        await Expect(member).ToContainTextAsync("leader");
        await Expect(page.Locator($"#shards tr[data-node='{hub.Node.ClusterAddress}']")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task A_page_opened_without_a_known_token_says_UNAUTHENTICATED_and_a_read_token_is_enough_to_view()
    {
        await using var context = await hub.Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync($"{hub.Node.HubUrl}/hub/#/projects");
        var error = page.Locator(".unauthenticated");
        await Expect(error).ToContainTextAsync("UNAUTHENTICATED");
        await Expect(error).ToContainTextAsync("a bearer token is required");

        await UseTokenAsync(page, "not-a-token");
        await Expect(error).ToContainTextAsync("not known to this server");

        await UseTokenAsync(page, HubNode.ReadToken);
        await Expect(page.Locator("h1")).ToHaveTextAsync("Projects");
        await Expect(error).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task A_secret_value_never_appears_in_a_project_pages_HTML_with_its_drift_check_and_plan_shown()
    {
        const string secret = "hub-secret-value-one";
        const string changed = "hub-secret-value-two";
        var accepted = await Client.ApplyProjectAsync(Apply(Project("secretive", password: secret)), As(HubNode.WriteToken));
        await hub.ConvergedAsync("secretive", accepted.Generation);

        var page = await hub.OpenAsync("#/projects/secretive");
        await Expect(page.Locator("#run-outcome")).ToHaveTextAsync("Succeeded");
        await page.Locator("#check-drift").ClickAsync();
        await Expect(page.Locator("#drifted")).ToHaveTextAsync("No drift");
        await page.Locator("#plan-files").SetInputFilesAsync(new FilePayload
        {
            Name = "nanokit.yml",
            MimeType = "text/yaml",
            Buffer = Encoding.UTF8.GetBytes(Project("secretive", password: changed)),
        });
        await page.Locator("#plan-project").ClickAsync();
        // The plan names the changed variable: the page did receive and show the change, without its values.
        await Expect(page.Locator("#plan-text")).ToContainTextAsync("environment DB_PASSWORD changed");

        var html = await page.ContentAsync();
        Assert.DoesNotContain(secret, html, StringComparison.Ordinal);
        Assert.DoesNotContain(changed, html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_JSON_routes_the_Hub_calls_check_the_same_token_and_role_as_gRPC_the_session_names_the_role_and_its_pages_come_with_a_strict_CSP()
    {
        using var http = new HttpClient { BaseAddress = new Uri(hub.Node.HubUrl) };
        var accepted = await Client.ApplyProjectAsync(Apply(Project("over-json")), As(HubNode.WriteToken));

        using (var none = await http.GetAsync("/v1/projects/over-json"))
        {
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, none.StatusCode);
            Assert.Equal(16, JsonDocument.Parse(await none.Content.ReadAsStringAsync()).RootElement.GetProperty("code").GetInt32());
        }

        using (var read = new HttpRequestMessage(HttpMethod.Get, "/v1/projects/over-json"))
        {
            read.Headers.Authorization = new("Bearer", HubNode.ReadToken);
            using var answer = await http.SendAsync(read);
            Assert.Equal(System.Net.HttpStatusCode.OK, answer.StatusCode);
            var project = JsonDocument.Parse(await answer.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("over-json", project.GetProperty("name").GetString());
            Assert.Equal(accepted.Generation, project.GetProperty("generation").GetInt64());
        }

        using (var apply = new HttpRequestMessage(HttpMethod.Post, "/v1/projects"))
        {
            apply.Headers.Authorization = new("Bearer", HubNode.ReadToken);
            apply.Content = new StringContent(JsonFormatter.Default.Format(Apply(Project("over-json", "nginx:1.28"))), Encoding.UTF8, "application/json");
            using var answer = await http.SendAsync(apply);
            Assert.Equal(System.Net.HttpStatusCode.Forbidden, answer.StatusCode);
            Assert.Equal(7, JsonDocument.Parse(await answer.Content.ReadAsStringAsync()).RootElement.GetProperty("code").GetInt32());
        }

        using (var anonymous = await http.GetAsync("/hub/session"))
        {
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, anonymous.StatusCode);
            Assert.Equal(16, JsonDocument.Parse(await anonymous.Content.ReadAsStringAsync()).RootElement.GetProperty("code").GetInt32());
        }

        foreach (var (token, role) in new[] { (HubNode.ReadToken, "read"), (HubNode.WriteToken, "write") })
        {
            using var session = new HttpRequestMessage(HttpMethod.Get, "/hub/session");
            session.Headers.Authorization = new("Bearer", token);
            using var answer = await http.SendAsync(session);
            Assert.Equal(System.Net.HttpStatusCode.OK, answer.StatusCode);
            Assert.Equal(role, JsonDocument.Parse(await answer.Content.ReadAsStringAsync()).RootElement.GetProperty("role").GetString());
        }

        using var page = await http.GetAsync("/hub/");
        Assert.Equal(System.Net.HttpStatusCode.OK, page.StatusCode);
        var policy = string.Join(";", page.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self'", policy, StringComparison.Ordinal);
        Assert.Contains("default-src 'none'", policy, StringComparison.Ordinal);
    }

    internal static string Project(string name, string image = "nginx:1.27", string password = "not-a-secret-here") => $"""
        name: {name}
        runtime: docker
        services:
          db:
            image: postgres:16
            environment:
              DB_PASSWORD: {password}
          api:
            image: {image}
            depends_on: [db]
        """;
}
