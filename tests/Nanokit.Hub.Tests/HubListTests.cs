using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;
using static Nanokit.Hub.Tests.HubFixture;

namespace Nanokit.Hub.Tests;

/// <summary>The Projects page follows the cluster without a reload, and without undoing what the operator did on it.</summary>
[Collection(HubCollection.Name)]
public sealed class HubListTests(HubFixture hub)
{
    [Fact]
    public async Task The_projects_page_shows_projects_applied_and_deleted_over_gRPC_without_a_reload_keeping_rows_scroll_and_selection()
    {
        for (var i = 1; i <= 8; i++)
        {
            await hub.ConvergedAsync($"roll-{i}", (await hub.Client.ApplyProjectAsync(Apply(HubTests.Project($"roll-{i}")), As(HubNode.WriteToken))).Generation);
        }

        // A short window, so that the list scrolls.
        var page = await hub.OpenAsync("#/projects", options: new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1200, Height = 300 } });
        await Expect(page.Locator("#projects tr[data-project='roll-8']")).ToContainTextAsync("Converged");
        await page.EvaluateAsync("""
            () => {
              window.nanokitSameDocument = true;
              window.nanokitKeptRow = document.querySelector("#projects tr[data-project='roll-1']");
              window.scrollTo(0, 120);
              window.getSelection().selectAllChildren(document.querySelector("#projects tr[data-project='roll-2'] td a"));
            }
            """);

        await hub.Client.ApplyProjectAsync(Apply(HubTests.Project("roll-new")), As(HubNode.WriteToken));
        await Expect(page.Locator("#projects tr[data-project='roll-new']")).ToContainTextAsync("deployed");
        await hub.Client.DeleteProjectAsync(new() { Project = "roll-3" }, As(HubNode.WriteToken));
        await Expect(page.Locator("#projects tr[data-project='roll-3']")).ToContainTextAsync("undeployed");

        Assert.True(await page.EvaluateAsync<bool>("() => window.nanokitSameDocument === true"), "the page was loaded again");
        Assert.True(await page.EvaluateAsync<bool>("() => window.nanokitKeptRow === document.querySelector(\"#projects tr[data-project='roll-1']\")"),
            "an unchanged row was drawn again (a flicker) instead of kept");
        Assert.Equal(120, await page.EvaluateAsync<int>("() => Math.round(window.scrollY)"));
        Assert.Equal("roll-2", await page.EvaluateAsync<string>("() => window.getSelection().toString()"));
    }
}
