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

    [Fact]
    public async Task Up_mounts_a_secret_from_a_file_and_an_inline_config_and_down_removes_the_Secret_and_the_ConfigMap()
    {
        File.WriteAllText(Path.Combine(directory, "db_password.txt"), "hunter2");
        File.WriteAllText(Path.Combine(directory, "nanokit.yml"), """
            name: shop
            runtime: kubernetes
            services:
              web:
                image: nginx:1.27
                secrets: [db_password]
                configs:
                  - {source: motd, target: /etc/motd, mode: 0400}
            secrets:
              db_password: {file: ./db_password.txt}
            configs:
              motd: {content: welcome}
            """);
        var environment = new Dictionary<string, string> { ["KUBECONFIG"] = server.WriteKubeconfig(directory) };
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(2));

        await using var up = NkappProcess.Start(directory, environment, ["up"]);
        await up.Process.WaitForExitAsync(stop.Token);
        Assert.True(up.Process.ExitCode == 0, up.Output);
        var mounts = server.Store.Get("pods", "shop", "web-1")!["spec"]!["containers"]![0]!["volumeMounts"]!.AsArray()
            .Select(m => ((string)m!["mountPath"]!, (string)m["subPath"]!, (bool)m["readOnly"]!)).ToArray();
        var files = server.Kubelet.Files("shop", "web-1").ToDictionary(f => f.Key, f => (System.Text.Encoding.UTF8.GetString(f.Value.Content), f.Value.Mode));
        Assert.Equal([("/run/secrets/db_password", "content", true), ("/etc/motd", "content", true)], mounts);
        Assert.Equal(new Dictionary<string, (string, int)> { ["/run/secrets/db_password"] = ("hunter2", 292), ["/etc/motd"] = ("welcome", 256) }, files);
        Assert.DoesNotContain("hunter2", up.Output);

        await using var down = NkappProcess.Start(directory, environment, ["down"]);
        await down.Process.WaitForExitAsync(stop.Token);
        Assert.True(down.Process.ExitCode == 0, down.Output);
        Assert.Empty(server.Store.List("pods", "shop", _ => true).Items);
        Assert.Empty(server.Store.List("secrets", "shop", _ => true).Items);
        Assert.Empty(server.Store.List("configmaps", "shop", _ => true).Items);
    }

    [Fact]
    public async Task Up_runs_the_prestart_hook_in_a_pod_and_mounts_a_named_volume_which_down_keeps_and_down_v_removes()
    {
        File.WriteAllText(Path.Combine(directory, "nanokit.yml"), """
            name: shop
            runtime: kubernetes
            services:
              db:
                image: migrate:1
                volumes: [data:/var/lib/db]
                hooks:
                  prestart:
                    command: [sh, -c, "echo migrated-the-schema"]
                    timeout: 30s
            volumes:
              data:
            """);
        var environment = new Dictionary<string, string> { ["KUBECONFIG"] = server.WriteKubeconfig(directory) };
        server.Kubelet.RunnableImages["migrate:1"] = 0;
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(2));

        await using var up = NkappProcess.Start(directory, environment, ["up"]);
        await up.Process.WaitForExitAsync(stop.Token);
        Assert.True(up.Process.ExitCode == 0, up.Output);
        Assert.Contains("migrated-the-schema", up.Output);
        Assert.Equal(["db-1"], server.Store.List("pods", "shop", _ => true).Items.Select(p => (string)p["metadata"]!["name"]!));
        Assert.Equal("volume-data", (string)server.Store.Get("pods", "shop", "db-1")!["spec"]!["volumes"]![0]!["persistentVolumeClaim"]!["claimName"]!);
        Assert.Equal("Bound", (string)server.Store.Get("persistentvolumeclaims", "shop", "volume-data")!["status"]!["phase"]!);

        await using var down = NkappProcess.Start(directory, environment, ["down"]);
        await down.Process.WaitForExitAsync(stop.Token);
        Assert.True(down.Process.ExitCode == 0, down.Output);
        Assert.NotNull(server.Store.Get("persistentvolumeclaims", "shop", "volume-data"));
        await using var downVolumes = NkappProcess.Start(directory, environment, ["down", "-v"]);
        await downVolumes.Process.WaitForExitAsync(stop.Token);

        Assert.True(downVolumes.Process.ExitCode == 0, downVolumes.Output);
        Assert.Contains("shop: removed volume data", downVolumes.Output);
        Assert.Empty(server.Store.List("persistentvolumeclaims", "shop", _ => true).Items);
    }

    [Fact]
    public async Task Stop_deletes_the_pod_status_shows_the_service_stopped_start_creates_it_again_and_restart_replaces_it()
    {
        File.WriteAllText(Path.Combine(directory, "nanokit.yml"), """
            name: shop
            runtime: kubernetes
            services:
              web:
                image: nginx:1.27
            """);
        var environment = new Dictionary<string, string> { ["KUBECONFIG"] = server.WriteKubeconfig(directory) };
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await using var up = NkappProcess.Start(directory, environment, ["up"]);
        await up.Process.WaitForExitAsync(stop.Token);
        Assert.True(up.Process.ExitCode == 0, up.Output);
        var first = (string)server.Store.Get("pods", "shop", "web-1")!["metadata"]!["uid"]!;

        await using var stopWeb = NkappProcess.Start(directory, environment, ["stop", "web"]);
        await stopWeb.Process.WaitForExitAsync(stop.Token);
        Assert.True(stopWeb.Process.ExitCode == 0, stopWeb.Output);
        Assert.Null(server.Store.Get("pods", "shop", "web-1"));
        await using var status = NkappProcess.Start(directory, environment, ["status"]);
        await status.Process.WaitForExitAsync(stop.Token);
        Assert.Matches(@"(?m)^web\s+1\s+stopped\s", status.Output);

        await using var start = NkappProcess.Start(directory, environment, ["start", "web"]);
        await start.Process.WaitForExitAsync(stop.Token);
        Assert.True(start.Process.ExitCode == 0, start.Output);
        var second = (string)server.Store.Get("pods", "shop", "web-1")!["metadata"]!["uid"]!;
        Assert.NotEqual(first, second);
        Assert.Equal("Running", (string)server.Store.Get("pods", "shop", "web-1")!["status"]!["phase"]!);

        await using var restart = NkappProcess.Start(directory, environment, ["restart", "web"]);
        await restart.Process.WaitForExitAsync(stop.Token);
        Assert.True(restart.Process.ExitCode == 0, restart.Output);
        Assert.NotEqual(second, (string)server.Store.Get("pods", "shop", "web-1")!["metadata"]!["uid"]!);
        Assert.Equal("Running", (string)server.Store.Get("pods", "shop", "web-1")!["status"]!["phase"]!);
    }

    [Fact]
    public async Task Drift_reports_a_replica_whose_pod_was_relabelled_out_of_the_project_and_heal_creates_a_new_pod_for_it()
    {
        File.WriteAllText(Path.Combine(directory, "nanokit.yml"), """
            name: shop
            runtime: kubernetes
            services:
              web:
                image: nginx:1.27
            """);
        var environment = new Dictionary<string, string> { ["KUBECONFIG"] = server.WriteKubeconfig(directory) };
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await using var up = NkappProcess.Start(directory, environment, ["up"]);
        await up.Process.WaitForExitAsync(stop.Token);
        Assert.True(up.Process.ExitCode == 0, up.Output);
        var first = (string)server.Store.Get("pods", "shop", "web-1")!["metadata"]!["uid"]!;

        // As `kubectl label pod web-1 nanokit.io/project=debug --overwrite` (taking a pod aside to debug it) does.
        server.Store.Update("pods", "shop", "web-1", p =>
        {
            p["metadata"]!["labels"]!["nanokit.io/project"] = "debug";
            return true;
        });
        await using var drift = NkappProcess.Start(directory, environment, ["drift"]);
        await drift.Process.WaitForExitAsync(stop.Token);
        await using var heal = NkappProcess.Start(directory, environment, ["drift", "--heal"]);
        await heal.Process.WaitForExitAsync(stop.Token);

        Assert.True(drift.Process.ExitCode == 2, drift.Output);
        Assert.Contains("web", drift.Output);
        Assert.True(heal.Process.ExitCode == 0, heal.Output);
        var pod = server.Store.Get("pods", "shop", "web-1")!["metadata"]!;
        Assert.NotEqual(first, (string)pod["uid"]!);
        Assert.Equal("shop", (string)pod["labels"]!["nanokit.io/project"]!);
    }
}
