using System.Text;
using Grpc.Core;
using Microsoft.Playwright;
using Nanokit.Server.Api.V1;
using static Microsoft.Playwright.Assertions;
using static Nanokit.Hub.Tests.HubFixture;

namespace Nanokit.Hub.Tests;

/// <summary>
/// A new project applied from the Projects page: files picked or dropped (base, overrides, .env), planned, applied by a
/// write token only, then listed and followed on its own page; an invalid spec lists every located error as text.
/// </summary>
[Collection(HubCollection.Name)]
public sealed class HubNewProjectTests(HubFixture hub)
{
    [Fact]
    public async Task A_write_token_applies_a_new_project_from_picked_and_dropped_files_and_its_page_follows_it_to_the_accepted_generation()
    {
        var page = await hub.OpenAsync("#/projects", HubNode.WriteToken);
        await page.Locator("#apply-new").ClickAsync();
        await page.Locator("#plan-files").SetInputFilesAsync(new[]
        {
            File("extra.yml", "services:\n  db:\n    image: postgres:17\n"),
            File("nanokit.yml", "name: fresh-one\nruntime: docker\nservices:\n  db:\n    image: postgres:16\n  api:\n    image: ${API_IMAGE}\n    depends_on: [db]\n"),
        });
        await DropAsync(page, ".env", "API_IMAGE=nginx:1.29\n");
        await Expect(page.Locator("#picked-files li")).ToHaveTextAsync(["base nanokit.yml×", "override 1 extra.yml×", "env file .env×"]);

        await page.Locator("#plan-project").ClickAsync();
        await Expect(page.Locator("#plan")).ToContainTextAsync("Project fresh-one: against nothing");
        await Expect(page.Locator("#plan-text")).ToContainTextAsync("+ create db[1]");
        await Expect(page.Locator("#plan-text")).ToContainTextAsync("+ create api[1]");
        await page.Locator("#apply-project").ClickAsync();

        await Expect(page.Locator("#new-accepted")).ToContainTextAsync("Project fresh-one: generation 1 accepted");
        await Expect(page.Locator("#projects tr[data-project='fresh-one']")).ToContainTextAsync("deployed");
        await page.Locator("#follow-new").ClickAsync();
        await Expect(page.Locator("#accepted")).ToContainTextAsync("Generation 1 accepted (apply, revision");
        await Expect(page.Locator("#accepted-state")).ToHaveTextAsync("Observed: Converged.");
        await Expect(page.Locator("#replica-table")).ToContainTextAsync("nginx:1.29");
        await Expect(page.Locator("#replica-table")).ToContainTextAsync("postgres:17");
        var project = await hub.Client.GetProjectAsync(new GetProjectRequest { Project = "fresh-one" }, As(HubNode.ReadToken));
        Assert.Equal(1, project.Generation);
        Assert.Contains(project.Replicas, replica => replica.Service == "api" && replica.Image == "nginx:1.29");
        Assert.Contains(project.Replicas, replica => replica.Service == "db" && replica.Image == "postgres:17");
    }

    [Fact]
    public async Task A_new_projects_invalid_files_show_every_located_error_the_API_returns_as_text_and_nothing_is_applied()
    {
        // The override's name carries markup: the located errors name it, and it must be shown as text.
        const string markup = "<img src=x id=injected>.yml";
        var files = new[]
        {
            File("nanokit.yml", "name: bad-new\nruntime: local\nservices:\n  web:\n    command: ./serve\n    cap_add: [NET_ADMIN]\n"),
            File(markup, "services:\n  web:\n    privileged: true\n"),
        };
        var expected = await PlanErrorsAsync(files);
        Assert.True(expected.Length >= 2, "the API should report every error: " + string.Join(" | ", expected));
        Assert.Contains(expected, line => line.StartsWith(markup + ":", StringComparison.Ordinal));

        var page = await hub.OpenAsync("#/projects", HubNode.WriteToken);
        await page.Locator("#apply-new").ClickAsync();
        await page.Locator("#plan-files").SetInputFilesAsync(files);
        await page.Locator("#plan-project").ClickAsync();

        await Expect(page.Locator("#plan .error-lines li")).ToHaveTextAsync(expected);
        await Expect(page.Locator("#plan")).ToContainTextAsync("INVALID_ARGUMENT");
        await Expect(page.Locator("#apply-project")).ToHaveCountAsync(0);
        await Expect(page.Locator("#injected")).ToHaveCountAsync(0);
        var missing = await Assert.ThrowsAsync<RpcException>(async () =>
            await hub.Client.GetProjectAsync(new GetProjectRequest { Project = "bad-new" }, As(HubNode.ReadToken)));
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task A_read_token_sees_apply_a_new_project_disabled_with_the_reason()
    {
        var page = await hub.OpenAsync("#/projects", HubNode.ReadToken);
        const string reason = "Applying a project needs a token with the write role; this token has the read role.";
        await Expect(page.Locator("#apply-new")).ToBeDisabledAsync();
        await Expect(page.Locator("#apply-new")).ToHaveAttributeAsync("title", reason);
        await Expect(page.Locator("#new-refused")).ToHaveTextAsync(reason);
    }

    private static FilePayload File(string name, string text) => new() { Name = name, MimeType = "text/yaml", Buffer = Encoding.UTF8.GetBytes(text) };

    /// <summary>Drops a file on the form as a browser does: a drop event whose DataTransfer holds it.</summary>
    private static async Task DropAsync(IPage page, string name, string text)
    {
        var transfer = await page.EvaluateHandleAsync(
            "([name, text]) => { const transfer = new DataTransfer(); transfer.items.add(new File([text], name)); return transfer; }",
            new[] { name, text });
        await page.Locator("#apply-drop").DispatchEventAsync("drop", new Dictionary<string, object> { ["dataTransfer"] = transfer });
    }

    /// <summary>The located errors PlanProject returns over gRPC for these files, one per line.</summary>
    private async Task<string[]> PlanErrorsAsync(FilePayload[] files)
    {
        var source = new ApplyProjectRequest();
        foreach (var file in files)
        {
            source.Files.Add(new SourceFile { Name = file.Name, Content = Google.Protobuf.ByteString.CopyFrom(file.Buffer) });
        }

        var invalid = await Assert.ThrowsAsync<RpcException>(async () =>
            await hub.Client.PlanProjectAsync(new PlanProjectRequest { Source = source }, As(HubNode.ReadToken)));
        Assert.Equal(StatusCode.InvalidArgument, invalid.StatusCode);
        return invalid.Status.Detail.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }
}
