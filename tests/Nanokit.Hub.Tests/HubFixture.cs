using Grpc.Core;
using Microsoft.Playwright;
using Nanokit.Server.Api.V1;
using static Microsoft.Playwright.Assertions;

namespace Nanokit.Hub.Tests;

/// <summary>
/// What the Hub tests of a class share, started once: one real node (<see cref="HubNode"/>) and one real Chromium,
/// Debian's (/usr/bin/chromium, installed by scripts/provision.sh; NANOKIT_CHROMIUM names another) driven by
/// Playwright. Playwright never downloads a browser here: a machine without Chromium fails the tests, it does not skip.
/// </summary>
public class HubFixture : IAsyncLifetime
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(60);

    private IPlaywright? playwright;

    internal HubNode Node { get; private set; } = null!;

    internal IBrowser Browser { get; private set; } = null!;

    internal Projects.ProjectsClient Client => new(Node.Channel);

    protected virtual bool Tls => false;

    public async Task InitializeAsync()
    {
        var chromium = Environment.GetEnvironmentVariable("NANOKIT_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";
        Assert.True(File.Exists(chromium), $"Chromium is not installed at {chromium}: run scripts/provision.sh (it installs Debian's chromium)");
        Node = await HubNode.StartAsync(Tls);
        playwright = await Playwright.CreateAsync();
        Browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = chromium, Headless = true });
        // Waiting for what a page shows: the node converges and streams in its own time on a loaded machine.
        SetDefaultExpectTimeout(60_000);
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        playwright?.Dispose();
        if (Node is not null)
        {
            await Node.DisposeAsync();
        }
    }

    /// <summary>A fresh tab on the Hub with <paramref name="token"/> entered in its form, then at <paramref name="route"/>.</summary>
    internal async Task<IPage> OpenAsync(string route, string token = HubNode.ReadToken, BrowserNewContextOptions? options = null)
    {
        var context = await Browser.NewContextAsync(options ?? new BrowserNewContextOptions { IgnoreHTTPSErrors = Tls });
        var page = await context.NewPageAsync();
        await page.GotoAsync($"{Node.HubUrl}/hub/");
        await UseTokenAsync(page, token);
        await page.GotoAsync($"{Node.HubUrl}/hub/{route}");
        return page;
    }

    internal static async Task UseTokenAsync(IPage page, string token)
    {
        await page.Locator("#token").FillAsync(token);
        await page.Locator("#token-form button[type=submit]").ClickAsync();
        await Expect(page.Locator("#token-state")).ToHaveTextAsync("token set for this tab");
    }

    internal async Task<Project> ConvergedAsync(string project, long generation)
    {
        var deadline = DateTime.UtcNow + Converge;
        while (true)
        {
            var seen = await Client.GetProjectAsync(new GetProjectRequest { Project = project }, As(HubNode.ReadToken));
            if (seen.ObservedGeneration >= generation && seen.Phase == "Converged")
            {
                return seen;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{project} did not converge generation {generation}: {seen}\n{Node.Output}");
            await Task.Delay(200);
        }
    }

    internal static Metadata As(string token) => new() { { "authorization", "Bearer " + token } };

    internal static ApplyProjectRequest Apply(string yaml)
    {
        var request = new ApplyProjectRequest();
        request.Files.Add(new SourceFile { Name = "nanokit.yml", Content = Google.Protobuf.ByteString.CopyFromUtf8(yaml) });
        return request;
    }
}

/// <summary>The same, with the node on TLS and the real runtimes (<see cref="HubNode.StartAsync"/>).</summary>
public sealed class TlsHubFixture : HubFixture
{
    protected override bool Tls => true;
}

/// <summary>The classes that share one cleartext node and one browser (a node per class would only cost start-ups).</summary>
[CollectionDefinition(Name)]
public sealed class HubCollection : ICollectionFixture<HubFixture>
{
    public const string Name = "hub";
}
