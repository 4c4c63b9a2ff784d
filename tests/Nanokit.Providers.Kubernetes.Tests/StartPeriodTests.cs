using Nanokit.Core.Model;
using Nanokit.Providers.Kubernetes.Tests.ApiServer;
using Nanokit.Runtime;

namespace Nanokit.Providers.Kubernetes.Tests;

/// <summary>
/// healthcheck.start_period on Kubernetes: a startupProbe lasting start_period plus retries intervals ahead of the
/// readinessProbe, probed by the test kubelet as real commands in the pod's scratch directory (Kubelet.Probes.cs).
/// </summary>
public sealed class StartPeriodTests : IAsyncLifetime
{
    private readonly string directory = Directory.CreateTempSubdirectory("nanokit-k8s-start-").FullName;
    private TestApiServer server = null!;

    public async Task InitializeAsync()
    {
        server = await TestApiServer.StartAsync();
        server.Kubelet.RunnableImages["slow:1"] = 0;
    }

    public async Task DisposeAsync()
    {
        await server.DisposeAsync();
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task The_pod_gets_a_startup_probe_lasting_start_period_and_retries_at_start_interval_and_none_without_start_period()
    {
        using var provider = new KubernetesRuntime(KubeConfig.Read(server.WriteKubeconfig(directory)));
        var check = new HealthcheckSpec(["CMD", "ready"], TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(2), 3, TimeSpan.FromSeconds(30), false) { StartInterval = TimeSpan.FromSeconds(2) };
        await provider.CreateAsync(new ReplicaSpec(new ProjectRef("shop", directory), new ServiceSpec { Name = "db", Image = "app:1", Healthcheck = check }, 1, "h", 1), default);
        await provider.CreateAsync(new ReplicaSpec(new ProjectRef("shop", directory), new ServiceSpec { Name = "web", Image = "app:1", Healthcheck = check with { StartPeriod = TimeSpan.Zero } }, 1, "h", 1), default);

        var db = server.Store.Get("pods", "shop", "db-1")!["spec"]!["containers"]![0]!;
        var startup = db["startupProbe"]!;
        var readiness = db["readinessProbe"]!;
        Assert.Equal(("ready", 0, 2, 2, 30, 1), ((string)startup["exec"]!["command"]![0]!, (int)startup["initialDelaySeconds"]!, (int)startup["periodSeconds"]!,
            (int)startup["timeoutSeconds"]!, (int)startup["failureThreshold"]!, (int)startup["successThreshold"]!));
        Assert.Equal((10, 3), ((int)readiness["periodSeconds"]!, (int)readiness["failureThreshold"]!));
        Assert.Null(server.Store.Get("pods", "shop", "web-1")!["spec"]!["containers"]![0]!["startupProbe"]);
    }

    [Fact]
    public async Task A_service_whose_probe_fails_during_its_start_period_and_then_passes_becomes_healthy_and_up_succeeds()
    {
        // retries 1 at 1 s: only start_period keeps the pod alive through the three seconds the probe fails.
        File.WriteAllText(Path.Combine(directory, "nanokit.yml"), """
            name: shop
            runtime: kubernetes
            services:
              db:
                image: slow:1
                command: [sh, -c, "sleep 3; touch ready; exec sleep 600"]
                healthcheck:
                  test: ["CMD", "test", "-f", "ready"]
                  interval: 1s
                  retries: 1
                  start_period: 10s
              web:
                image: nginx:1.27
                depends_on:
                  db:
                    condition: service_healthy
            """);
        await using var up = await UpAsync();

        Assert.True(up.Process.ExitCode == 0, up.Output);
        var db = server.Store.Get("pods", "shop", "db-1")!;
        Assert.Equal("Running", (string)db["status"]!["phase"]!);
        Assert.Contains(db["status"]!["conditions"]!.AsArray(), c => (string)c!["type"]! == "Ready" && (string)c["status"]! == "True");
        Assert.True((bool)db["status"]!["containerStatuses"]![0]!["started"]!);
        Assert.NotNull(server.Store.Get("pods", "shop", "web-1"));
    }

    [Fact]
    public async Task A_service_whose_probe_keeps_failing_past_start_period_and_retries_fails_up_naming_the_service()
    {
        File.WriteAllText(Path.Combine(directory, "nanokit.yml"), """
            name: shop
            runtime: kubernetes
            services:
              db:
                image: slow:1
                command: [sleep, "600"]
                healthcheck:
                  test: ["CMD", "false"]
                  interval: 1s
                  retries: 2
                  start_period: 2s
              web:
                image: nginx:1.27
                depends_on:
                  db:
                    condition: service_healthy
            """);
        await using var up = await UpAsync();

        Assert.True(up.Process.ExitCode != 0, up.Output);
        Assert.Contains("db: replica 1 is unhealthy", up.Output);
        Assert.Null(server.Store.Get("pods", "shop", "web-1"));

        // The kubelet killed the container once its startupProbe ran out; with restartPolicy Never the pod has ended.
        var db = server.Store.Get("pods", "shop", "db-1")!["status"]!;
        Assert.Equal(("Failed", 137), ((string)db["phase"]!, (int)db["containerStatuses"]![0]!["state"]!["terminated"]!["exitCode"]!));
    }

    /// <summary>Runs <c>nkapp up</c> on the project against the test API server, to its exit (at most 2 minutes).</summary>
    private async Task<NkappProcess> UpAsync()
    {
        var environment = new Dictionary<string, string> { ["KUBECONFIG"] = server.WriteKubeconfig(directory) };
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var up = NkappProcess.Start(directory, environment, ["up"]);
        try
        {
            await up.Process.WaitForExitAsync(stop.Token);
            return up;
        }
        catch
        {
            await up.DisposeAsync(); // the caller never gets it to dispose
            throw;
        }
    }
}
