using Nanokit.Providers.Kubernetes.Tests.ApiServer;

namespace Nanokit.Providers.Kubernetes.Tests;

/// <summary><c>nkapp up</c>, <c>status</c> and <c>down</c> as a real process on runtime: kubernetes, reaching the test API server through KUBECONFIG.</summary>
public sealed class CliEndToEndTests : IAsyncLifetime
{
    private readonly string directory = Directory.CreateTempSubdirectory("nanokit-k8s-cli-").FullName;
    private TestApiServer server = null!;

    public async Task InitializeAsync() => server = await TestApiServer.StartAsync();

    public async Task DisposeAsync()
    {
        await server.DisposeAsync();
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task Up_starts_a_dependent_after_its_dependency_is_ready_status_shows_both_and_down_removes_everything()
    {
        File.WriteAllText(Path.Combine(directory, "nanokit.yml"), """
            name: shop
            runtime: kubernetes
            services:
              db:
                image: postgres:16
                healthcheck:
                  test: ["CMD", "pg_isready"]
                  interval: 1s
              web:
                image: nginx:1.27
                ports: ["8080:80"]
                depends_on:
                  db:
                    condition: service_healthy
            """);
        var environment = new Dictionary<string, string> { ["KUBECONFIG"] = server.WriteKubeconfig(directory) };
        server.Kubelet.HoldReadiness("shop", "db-1");

        await using var up = NkappProcess.Start(directory, environment, ["up"]);
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var pods = server.Store.Watch("pods", "shop", _ => true, server.Store.Revision, stop.Token);
        while ((await pods.ReadAsync(stop.Token)).Object["status"]?["phase"]?.ToString() != "Running")
        {
        }

        // web waits for db's Ready condition: until the kubelet says so, there is no web pod.
        Assert.Null(server.Store.Get("pods", "shop", "web-1"));
        server.Kubelet.MakeReady("shop", "db-1");
        await up.Process.WaitForExitAsync(stop.Token);
        Assert.True(up.Process.ExitCode == 0, up.Output);
        Assert.Equal("Running", server.Store.Get("pods", "shop", "web-1")!["status"]!["phase"]!.ToString());
        Assert.NotNull(server.Store.Get("services", "shop", "web"));

        await using var status = NkappProcess.Start(directory, environment, ["status"]);
        await status.Process.WaitForExitAsync(stop.Token);
        Assert.True(status.Process.ExitCode == 0, status.Output);
        Assert.Contains("db", status.Output);
        Assert.Contains("web", status.Output);

        await using var down = NkappProcess.Start(directory, environment, ["down"]);
        await down.Process.WaitForExitAsync(stop.Token);
        Assert.True(down.Process.ExitCode == 0, down.Output);
        Assert.Empty(server.Store.List("pods", "shop", _ => true).Items);
        Assert.Empty(server.Store.List("services", "shop", _ => true).Items);
    }
}
