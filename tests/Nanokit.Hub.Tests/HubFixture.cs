using Microsoft.Playwright;

namespace Nanokit.Hub.Tests;

/// <summary>
/// What the Hub tests share, started once: one real node (<see cref="HubNode"/>) and one real Chromium, Debian's
/// (/usr/bin/chromium, installed by scripts/provision.sh; NANOKIT_CHROMIUM names another) driven by Playwright.
/// Playwright never downloads a browser here: a machine without Chromium fails the tests, it does not skip them.
/// </summary>
public sealed class HubFixture : IAsyncLifetime
{
    private IPlaywright? playwright;

    internal HubNode Node { get; private set; } = null!;

    internal IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var chromium = Environment.GetEnvironmentVariable("NANOKIT_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";
        Assert.True(File.Exists(chromium), $"Chromium is not installed at {chromium}: run scripts/provision.sh (it installs Debian's chromium)");
        Node = await HubNode.StartAsync();
        playwright = await Playwright.CreateAsync();
        Browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = chromium, Headless = true });
        // Waiting for what a page shows: the node converges and streams in its own time on a loaded machine.
        Assertions.SetDefaultExpectTimeout(60_000);
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
}
