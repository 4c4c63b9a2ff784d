using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;
using static Nanokit.Hub.Tests.HubFixture;

namespace Nanokit.Hub.Tests;

/// <summary>
/// The Hub of a TLS node, on --listen over https, with projects on the local runtime: real processes writing real log
/// lines, which a project's page streams. Local replicas outlive the node (as containers outlive their daemon's client),
/// so each command ends by itself within minutes rather than being left running on the machine.
/// </summary>
public sealed class HubTlsTests(TlsHubFixture hub) : IClassFixture<TlsHubFixture>
{
    [Fact]
    public async Task The_Hub_loads_over_https_on_listen_with_its_CSP_and_shows_a_projects_replicas_and_logs()
    {
        const string yaml = """
            name: over-tls
            runtime: local
            services:
              talker:
                command: [sh, -c, "echo hello over tls; exec sleep 600"]
            """;
        await hub.ConvergedAsync("over-tls", (await hub.Client.ApplyProjectAsync(Apply(yaml), As(HubNode.WriteToken))).Generation);

        await using var context = await hub.Browser.NewContextAsync(new BrowserNewContextOptions { IgnoreHTTPSErrors = true });
        var page = await context.NewPageAsync();
        var response = await page.GotoAsync($"{hub.Node.HubUrl}/hub/");
        Assert.NotNull(response);
        Assert.StartsWith("https://127.0.0.1:", response.Url, StringComparison.Ordinal);
        Assert.Equal(200, response.Status);
        var policy = await response.HeaderValueAsync("content-security-policy");
        Assert.NotNull(policy);
        Assert.Contains("default-src 'none'", policy, StringComparison.Ordinal);
        Assert.Contains("script-src 'self'", policy, StringComparison.Ordinal);
        await UseTokenAsync(page, HubNode.ReadToken);
        await page.GotoAsync($"{hub.Node.HubUrl}/hub/#/projects/over-tls");

        await Expect(page.Locator("#replica-table")).ToContainTextAsync("running");
        await Expect(page.Locator("#log-lines li").First).ToHaveTextAsync("talker[1] hello over tls");
        Assert.Equal("https:", await page.EvaluateAsync<string>("() => location.protocol"));
    }

    [Fact]
    public async Task Logs_follow_filter_by_service_keep_the_last_thousand_lines_and_stop_streaming_when_the_page_is_left()
    {
        const string yaml = """
            name: logged
            runtime: local
            services:
              counter:
                command: [sh, -c, "seq 1 1500 | sed 's/^/count /'; exec sleep 600"]
              talker:
                command: [sh, -c, "echo hello from talker; i=0; while [ $$i -lt 1500 ]; do i=$((i+1)); echo tick $$i; sleep 0.2; done; exec sleep 600"]
            """;
        await hub.ConvergedAsync("logged", (await hub.Client.ApplyProjectAsync(Apply(yaml), As(HubNode.WriteToken))).Generation);
        var page = await hub.OpenAsync("#/projects/logged");
        var lines = page.Locator("#log-lines li");

        // The server sends each replica's last 1000 lines, then follows; the page keeps the last 1000 of them all.
        await Expect(page.Locator("#log-lines")).ToContainTextAsync("counter[1] count 1500");
        await Expect(lines).ToHaveCountAsync(1000);
        var oldest = await lines.First.TextContentAsync();
        await Expect(lines.First).Not.ToHaveTextAsync(oldest!);
        await Expect(lines).ToHaveCountAsync(1000);
        await Expect(page.Locator("#log-state")).ToHaveTextAsync("following");

        await page.Locator("#log-service").SelectOptionAsync("talker");
        await Expect(page.Locator("#log-lines")).ToContainTextAsync("talker[1] hello from talker");
        await Expect(page.Locator("#log-lines li[data-service='counter']")).ToHaveCountAsync(0);
        await page.Locator("#log-follow").UncheckAsync();
        await Expect(page.Locator("#log-state")).ToHaveTextAsync("end of the logs");
        await Expect(lines.First).ToHaveTextAsync("talker[1] hello from talker");
        await Expect(page.Locator("#log-lines li[data-service='counter']")).ToHaveCountAsync(0);

        await page.Locator("#log-follow").CheckAsync();
        await Expect(page.Locator("#log-state")).ToHaveTextAsync("following");
        var ended = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        page.RequestFailed += (_, request) =>
        {
            if (request.Url.Contains("/v1/projects/logged/logs?", StringComparison.Ordinal))
            {
                ended.TrySetResult(request.Failure);
            }
        };
        await page.Locator("a[href='#/projects']").First.ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("Projects");
        Assert.Equal("net::ERR_ABORTED", await ended.Task.WaitAsync(TimeSpan.FromSeconds(30)));
    }
}
