using System.Net;
using System.Text;
using Microsoft.Playwright;
using Nanokit.Server.Api.V1;
using static Microsoft.Playwright.Assertions;
using static Nanokit.Hub.Tests.HubFixture;

namespace Nanokit.Hub.Tests;

/// <summary>
/// Apply and delete from a project's page: offered to a write token only, refused by the server to a read token
/// anyway, and each followed from its accepted generation to what the owner observed.
/// </summary>
[Collection(HubCollection.Name)]
public sealed class HubWriteTests(HubFixture hub)
{
    [Fact]
    public async Task A_read_token_sees_apply_and_delete_disabled_with_the_reason_and_the_server_refuses_its_delete()
    {
        await hub.ConvergedAsync("read-only", (await hub.Client.ApplyProjectAsync(Apply(HubTests.Project("read-only")), As(HubNode.WriteToken))).Generation);
        var page = await hub.OpenAsync("#/projects/read-only", HubNode.ReadToken);
        const string reason = "Apply and delete need a token with the write role; this token has the read role.";
        await Expect(page.Locator("#write-refused")).ToHaveTextAsync(reason);
        await Expect(page.Locator("#delete-project")).ToBeDisabledAsync();
        await Expect(page.Locator("#delete-project")).ToHaveAttributeAsync("title", reason);
        await PlanAsync(page, HubTests.Project("read-only", "nginx:1.28"));
        await Expect(page.Locator("#plan-text")).ToContainTextAsync("nginx:1.28");
        await Expect(page.Locator("#apply-project")).ToBeDisabledAsync();
        await Expect(page.Locator("#apply-project")).ToHaveAttributeAsync("title", reason);

        using var http = hub.Node.Http();
        using var delete = new HttpRequestMessage(HttpMethod.Delete, "/v1/projects/read-only");
        delete.Headers.Authorization = new("Bearer", HubNode.ReadToken);
        using var answer = await http.SendAsync(delete);
        Assert.Equal(HttpStatusCode.Forbidden, answer.StatusCode);
        var project = await hub.Client.GetProjectAsync(new GetProjectRequest { Project = "read-only" }, As(HubNode.ReadToken));
        Assert.Equal(DesiredState.Deployed, project.DesiredState);
    }

    [Fact]
    public async Task A_write_token_applies_the_planned_files_and_the_page_follows_the_accepted_generation_until_it_converges()
    {
        var first = await hub.Client.ApplyProjectAsync(Apply(HubTests.Project("applied-here")), As(HubNode.WriteToken));
        await hub.ConvergedAsync("applied-here", first.Generation);
        var page = await hub.OpenAsync("#/projects/applied-here", HubNode.WriteToken);
        await Expect(page.Locator("#write-refused")).ToHaveCountAsync(0);
        await PlanAsync(page, HubTests.Project("applied-here", "nginx:1.28"));
        await Expect(page.Locator("#plan-text")).ToContainTextAsync("nginx:1.28");

        await page.Locator("#apply-project").ClickAsync();
        var next = first.Generation + 1;
        await Expect(page.Locator("#accepted")).ToContainTextAsync($"Generation {next} accepted (apply");
        await Expect(page.Locator("#accepted-state")).ToHaveTextAsync("Observed: Converged.");
        await Expect(page.Locator("#observed-generation")).ToHaveTextAsync(next.ToString());
        var project = await hub.Client.GetProjectAsync(new GetProjectRequest { Project = "applied-here" }, As(HubNode.ReadToken));
        Assert.Equal(next, project.Generation);
        Assert.Contains(project.Replicas, replica => replica.Image == "nginx:1.28");
    }

    [Fact]
    public async Task An_invalid_spec_shows_every_located_error_and_offers_nothing_to_apply()
    {
        await hub.ConvergedAsync("invalid-here", (await hub.Client.ApplyProjectAsync(Apply(HubTests.Project("invalid-here")), As(HubNode.WriteToken))).Generation);
        var page = await hub.OpenAsync("#/projects/invalid-here", HubNode.WriteToken);
        await PlanAsync(page, "runtime: local\nservices:\n  web:\n    command: ./serve\n    cap_add: [NET_ADMIN]\n    privileged: true\n");

        var errors = page.Locator("#plan .error-lines li");
        await Expect(errors).ToHaveCountAsync(2);
        await Expect(errors.Nth(0)).ToHaveTextAsync("nanokit.yml:5:5: \"cap_add\" in service \"web\": runtime local (host processes) cannot honour it; use runtime: docker or remove it");
        await Expect(errors.Nth(1)).ToHaveTextAsync("nanokit.yml:6:5: \"privileged\" in service \"web\": runtime local (host processes) cannot honour it; use runtime: docker or remove it");
        await Expect(page.Locator("#plan")).ToContainTextAsync("INVALID_ARGUMENT");
        await Expect(page.Locator("#apply-project")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task Delete_asks_for_the_projects_name_typed_out_then_follows_the_accepted_generation()
    {
        var applied = await hub.Client.ApplyProjectAsync(Apply(HubTests.Project("deleted-here")), As(HubNode.WriteToken));
        await hub.ConvergedAsync("deleted-here", applied.Generation);
        var page = await hub.OpenAsync("#/projects/deleted-here", HubNode.WriteToken);

        await page.Locator("#delete-project").ClickAsync();
        var confirmed = page.Locator("#delete-confirmed");
        await Expect(confirmed).ToBeDisabledAsync();
        await page.Locator("#delete-confirm").FillAsync("deleted-her");
        await Expect(confirmed).ToBeDisabledAsync();
        await page.Locator("#delete-confirm").FillAsync("deleted-here");
        await Expect(confirmed).ToBeEnabledAsync();
        await confirmed.ClickAsync();

        var next = applied.Generation + 1;
        await Expect(page.Locator("#accepted")).ToContainTextAsync($"Generation {next} accepted (delete");
        await Expect(page.Locator("#accepted-state")).ToHaveTextAsync("Observed: Converged.");
        await Expect(page.Locator("#desired")).ToHaveTextAsync("undeployed");
        await Expect(page.Locator("#replica-table")).ToHaveCountAsync(0);
        var project = await hub.Client.GetProjectAsync(new GetProjectRequest { Project = "deleted-here" }, As(HubNode.ReadToken));
        Assert.Equal(DesiredState.Undeployed, project.DesiredState);
        Assert.Equal(next, project.Generation);
    }

    private static async Task PlanAsync(IPage page, string yaml)
    {
        await page.Locator("#plan-files").SetInputFilesAsync(new FilePayload { Name = "nanokit.yml", MimeType = "text/yaml", Buffer = Encoding.UTF8.GetBytes(yaml) });
        await page.Locator("#plan-project").ClickAsync();
    }
}
