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

    [Fact]
    public async Task The_projects_list_pages_forward_and_back_asking_again_with_the_tokens_it_was_given()
    {
        // More than two pages of ten, whatever the other tests of the collection applied.
        for (var i = 1; i <= 21; i++)
        {
            var name = $"paged-{i:D2}";
            await hub.ConvergedAsync(name, (await hub.Client.ApplyProjectAsync(Apply(HubTests.Project(name)), As(HubNode.WriteToken))).Generation);
        }

        var page = await hub.OpenAsync("#/projects");
        var rows = page.Locator("#projects tbody tr");
        await Expect(rows.First).ToBeVisibleAsync();
        var asked = await AskedAsync(page, () => page.Locator("#page-size").SelectOptionAsync("10"), ("", "100"));
        Assert.Equal(("", "10"), asked);
        await Expect(rows).ToHaveCountAsync(10);
        await Expect(page.Locator("#previous-page")).ToHaveCountAsync(0);
        var first = await NamesAsync(page);

        var second = await AskedAsync(page, () => page.Locator("#next-page").ClickAsync(), asked);
        Assert.NotEqual("", second.Token);
        Assert.Equal("10", second.Size);
        await Expect(page.Locator("#page-number")).ToHaveTextAsync("page 2");
        await Expect(rows).ToHaveCountAsync(10);
        var secondNames = await NamesAsync(page);
        Assert.Empty(secondNames.Intersect(first));

        var third = await AskedAsync(page, () => page.Locator("#next-page").ClickAsync(), second);
        Assert.NotEqual(second.Token, third.Token);
        await Expect(page.Locator("#page-number")).ToHaveTextAsync("page 3");
        await Expect(rows.First).Not.ToHaveAttributeAsync("data-project", secondNames[0]);

        // Back, page by page, with the tokens the server gave on the way forward: the same rows as then.
        Assert.Equal(second, await AskedAsync(page, () => page.Locator("#previous-page").ClickAsync(), third));
        await Expect(page.Locator("#page-number")).ToHaveTextAsync("page 2");
        await Expect(rows.First).ToHaveAttributeAsync("data-project", secondNames[0]);
        Assert.Equal(secondNames, await NamesAsync(page));

        Assert.Equal(("", "10"), await AskedAsync(page, () => page.Locator("#previous-page").ClickAsync(), second));
        await Expect(page.Locator("#page-number")).ToHaveTextAsync("page 1");
        await Expect(rows.First).ToHaveAttributeAsync("data-project", first[0]);
        Assert.Equal(first, await NamesAsync(page));
        await Expect(page.Locator("#previous-page")).ToHaveCountAsync(0);
        await Expect(page.Locator("#first-page")).ToHaveCountAsync(0);
    }

    /// <summary>
    /// The page token and size of the list read that <paramref name="action"/> makes: the first one other than the
    /// current page's (which the 5 s poll may ask again meanwhile).
    /// </summary>
    private static async Task<(string Token, string? Size)> AskedAsync(IPage page, Func<Task> action, (string Token, string? Size) current)
    {
        var request = await page.RunAndWaitForRequestAsync(action, request => request.Url.Contains("/v1/projects?", StringComparison.Ordinal) && Query(request) != current);
        return Query(request);
    }

    private static (string Token, string? Size) Query(IRequest request)
    {
        var query = System.Web.HttpUtility.ParseQueryString(new Uri(request.Url).Query);
        return (query["pageToken"] ?? "", query["pageSize"]);
    }

    private static async Task<List<string>> NamesAsync(IPage page) =>
        [.. (await page.Locator("#projects tbody tr").EvaluateAllAsync<string[]>("rows => rows.map(row => row.dataset.project)"))];
}
