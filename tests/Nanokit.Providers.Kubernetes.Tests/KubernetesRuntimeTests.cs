using System.Collections.Immutable;
using System.Text;
using System.Text.Json.Nodes;
using Nanokit.Core.Model;
using Nanokit.Providers.Kubernetes.Tests.ApiServer;
using Nanokit.Runtime;

namespace Nanokit.Providers.Kubernetes.Tests;

/// <summary>The provider against the test API server, through a kubeconfig as kubectl reads it.</summary>
public sealed class KubernetesRuntimeTests : ApiServerTest
{
    [Fact]
    public async Task Replicas_are_created_as_labelled_pods_observed_by_selector_and_deleted_with_their_service()
    {
        var web = Service("web") with { Ports = [new PortMapping(null, 8080, 80, "tcp")], Environment = ImmutableSortedDictionary<string, string?>.Empty.Add("MODE", "prod") };
        var first = await Provider.CreateAsync(new ReplicaSpec(Shop, web, 1, "hash-a", 3), default);
        await Provider.CreateAsync(new ReplicaSpec(Shop, web, 2, "hash-a", 3), default);

        var observed = await Provider.ObserveAsync(Shop, default);
        var pod = Api.Store.Get("pods", "shop", "web-1")!;
        var service = Api.Store.Get("services", "shop", "web")!;

        Assert.Equal([("web", 1, "hash-a", ReplicaState.Running, 3L), ("web", 2, "hash-a", ReplicaState.Running, 3L)],
            observed.Replicas.Select(r => (r.Service, r.Replica, r.ConfigHash, r.State, r.Generation)).ToArray());
        Assert.Equal((string)pod["metadata"]!["uid"]!, first.Id);
        Assert.Equal(("nanokit", "shop", "web", "1"), Labels(pod, "app.kubernetes.io/managed-by", "nanokit.io/project", "nanokit.io/service", "nanokit.io/replica"));
        Assert.Equal("hash-a", (string)pod["metadata"]!["annotations"]!["nanokit.io/config-hash"]!);
        Assert.Equal(("app:1", "MODE", "prod", "Never"), ((string)pod["spec"]!["containers"]![0]!["image"]!, (string)pod["spec"]!["containers"]![0]!["env"]![0]!["name"]!,
            (string)pod["spec"]!["containers"]![0]!["env"]![0]!["value"]!, (string)pod["spec"]!["restartPolicy"]!));
        Assert.Equal((8080, 80), ((int)service["spec"]!["ports"]![0]!["port"]!, (int)service["spec"]!["ports"]![0]!["targetPort"]!));

        await Provider.DeleteAsync(new ReplicaId(Shop, "web", 1), null, default);
        Assert.NotNull(Api.Store.Get("services", "shop", "web"));
        await Provider.DeleteAsync(new ReplicaId(Shop, "web", 2), null, default);
        await Provider.DeleteAsync(new ReplicaId(Shop, "web", 2), null, default);

        Assert.Empty((await Provider.ObserveAsync(Shop, default)).Replicas);
        Assert.Null(Api.Store.Get("services", "shop", "web"));
    }

    [Fact]
    public async Task A_replica_of_the_same_config_hash_is_kept_and_one_of_another_is_replaced()
    {
        var created = await Provider.CreateAsync(new ReplicaSpec(Shop, Service("web"), 1, "hash-a", 1), default);
        var kept = await Provider.CreateAsync(new ReplicaSpec(Shop, Service("web"), 1, "hash-a", 1), default);
        var replaced = await Provider.CreateAsync(new ReplicaSpec(Shop, Service("web") with { Image = "app:2" }, 1, "hash-b", 2), default);

        Assert.Equal(created.Id, kept.Id);
        Assert.NotEqual(created.Id, replaced.Id);
        Assert.Equal(("hash-b", "app:2"), (replaced.ConfigHash, (string)Api.Store.Get("pods", "shop", "web-1")!["spec"]!["containers"]![0]!["image"]!));
    }

    [Fact]
    public async Task A_pod_left_by_an_earlier_run_answers_409_and_is_adopted_when_its_hash_matches()
    {
        using (var earlier = new KubernetesRuntime(KubeConfig.Read(Api.WriteKubeconfig(Scratch))))
        {
            await earlier.CreateAsync(new ReplicaSpec(Shop, Service("web"), 1, "hash-a", 1), default);
        }

        var uid = (string)Api.Store.Get("pods", "shop", "web-1")!["metadata"]!["uid"]!;
        var adopted = await Provider.CreateAsync(new ReplicaSpec(Shop, Service("web"), 1, "hash-a", 1), default);

        Assert.Equal(uid, adopted.Id);
    }

    [Fact]
    public async Task A_pod_someone_else_made_under_the_replica_name_is_replaced_by_nanokit_own()
    {
        await Provider.CreateAsync(new ReplicaSpec(Shop, Service("db"), 1, "hash-a", 1), default);
        var stranger = Api.Store.Create("pods", "shop", ObjectRules.Admit("pods", "shop", JsonNode.Parse(
            """{"metadata":{"name":"web-1"},"spec":{"containers":[{"name":"x","image":"other:1"}]}}""")!.AsObject()));

        var created = await Provider.CreateAsync(new ReplicaSpec(Shop, Service("web"), 1, "hash-a", 1), default);

        Assert.NotEqual((string)stranger["metadata"]!["uid"]!, created.Id);
        Assert.Equal("app:1", (string)Api.Store.Get("pods", "shop", "web-1")!["spec"]!["containers"]![0]!["image"]!);
    }

    [Fact]
    public async Task Health_follows_the_Ready_condition_that_the_healthcheck_readiness_probe_sets()
    {
        var checkedWeb = Service("web") with { Healthcheck = new HealthcheckSpec(["CMD-SHELL", "curl -f localhost"], TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(2), 3, TimeSpan.Zero, false) };
        Api.Kubelet.HoldReadiness("shop", "web-1");
        await Provider.CreateAsync(new ReplicaSpec(Shop, checkedWeb, 1, "h", 1), default);
        await Provider.CreateAsync(new ReplicaSpec(Shop, Service("db"), 1, "h", 1), default);
        var id = new ReplicaId(Shop, "web", 1);

        var before = await Provider.ProbeHealthAsync(id, default);
        var waiting = Provider.WaitForHealthAsync(id, default);
        Api.Store.Compact();
        Api.Store.CloseWatches();
        Api.Kubelet.MakeReady("shop", "web-1");

        Assert.Equal(HealthStatus.Starting, before);
        Assert.Equal(HealthStatus.Healthy, await waiting.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(HealthStatus.None, await Provider.WaitForHealthAsync(new ReplicaId(Shop, "db", 1), default));
        var probe = Api.Store.Get("pods", "shop", "web-1")!["spec"]!["containers"]![0]!["readinessProbe"]!;
        Assert.Equal(("/bin/sh -c curl -f localhost", 5, 2, 3), (string.Join(' ', probe["exec"]!["command"]!.AsArray().Select(c => (string)c!)),
            (int)probe["periodSeconds"]!, (int)probe["timeoutSeconds"]!, (int)probe["failureThreshold"]!));
    }

    [Fact]
    public async Task An_ended_pod_is_observed_exited_with_its_code_and_started_again_as_a_new_pod()
    {
        var created = await Provider.CreateAsync(new ReplicaSpec(Shop, Service("job"), 1, "h", 1), default);
        var id = new ReplicaId(Shop, "job", 1);
        var completion = Provider.WaitForCompletionAsync(id, default);
        Api.Kubelet.Exit("shop", "job-1", 3);

        Assert.Equal(3, await completion.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal((ReplicaState.Exited, 3), (await Provider.ObserveAsync(Shop, default)).Replicas.Select(r => (r.State, r.ExitCode ?? -1)).Single());
        Assert.Equal(HealthStatus.Unhealthy, await Provider.ProbeHealthAsync(id, default));

        var started = await Provider.StartAsync(id, default);

        Assert.Equal((ReplicaState.Running, "h"), (started.State, started.ConfigHash));
        Assert.NotEqual(created.Id, started.Id);
    }

    [Fact]
    public async Task Delete_passes_the_stop_timeout_as_the_grace_period_and_returns_once_the_pod_is_gone()
    {
        await Provider.CreateAsync(new ReplicaSpec(Shop, Service("web"), 1, "h", 1), default);
        Api.Kubelet.IgnoreTerm("shop", "web-1");
        using var stop = new CancellationTokenSource();
        var changes = Api.Store.Watch("pods", "shop", _ => true, Api.Store.Revision, stop.Token);

        await Provider.DeleteAsync(new ReplicaId(Shop, "web", 1), TimeSpan.FromSeconds(1), default);

        Assert.Null(Api.Store.Get("pods", "shop", "web-1"));
        var marked = await changes.ReadAsync();
        Assert.Equal(("MODIFIED", 1L), (marked.Type, (long)marked.Object["metadata"]!["deletionGracePeriodSeconds"]!));
        Assert.Equal("DELETED", (await changes.ReadAsync()).Type);
        await stop.CancelAsync();
    }

    [Fact]
    public async Task An_image_that_does_not_pull_fails_the_create_with_the_kubelet_reason()
    {
        Api.Kubelet.MissingImages["nope:1"] = 0;

        var failure = await Assert.ThrowsAsync<RuntimeException>(() => Provider.CreateAsync(new ReplicaSpec(Shop, Service("web") with { Image = "nope:1" }, 1, "h", 1), default));

        Assert.Contains("kubernetes runtime: shop/web-1: pod web-1 cannot start: ErrImagePull: failed to pull image \"nope:1\"", failure.Message);
    }

    [Fact]
    public async Task Logs_are_read_from_the_pod_log()
    {
        await Provider.CreateAsync(new ReplicaSpec(Shop, Service("web") with { Command = ["serve", "--port", "80"] }, 1, "h", 1), default);

        var lines = new List<string>();
        await foreach (var line in Provider.ReadLogsAsync(new ReplicaId(Shop, "web", 1), new LogReadOptions(Tail: 10), default))
        {
            lines.Add(line);
        }

        Assert.Equal(["web started: app:1 serve --port 80"], lines);
    }

    [Fact]
    public async Task An_unreachable_API_server_is_a_transient_RuntimeException_naming_the_server()
    {
        var port = LoopbackPort.Free();
        var path = Path.Combine(Scratch, "away");
        File.WriteAllText(path, $"current-context: c\ncontexts:\n- name: c\n  context: {{cluster: k}}\nclusters:\n- name: k\n  cluster: {{server: 'https://127.0.0.1:{port}'}}\n");
        using var away = new KubernetesRuntime(KubeConfig.Read(path));

        var failure = await Assert.ThrowsAsync<RuntimeException>(() => away.ObserveAsync(Shop, default));

        Assert.True(failure.Transient);
        Assert.StartsWith($"kubernetes runtime: shop/*: the Kubernetes API server https://127.0.0.1:{port}/ is unreachable", failure.Message);
    }

    [Fact]
    public async Task A_wrong_token_is_a_RuntimeException_saying_401_Unauthorized()
    {
        using var stranger = new KubernetesRuntime(KubeConfig.Read(Api.WriteKubeconfig(Scratch, token: "wrong")));

        var failure = await Assert.ThrowsAsync<RuntimeException>(() => stranger.ObserveAsync(Shop, default));

        Assert.Equal("kubernetes runtime: shop/*: Unauthorized (check the token of the kubeconfig's user) (401 Unauthorized)", failure.Message);
    }

    [Fact]
    public void A_kubeconfig_that_is_missing_or_incomplete_is_an_error_naming_the_file_and_line()
    {
        var missing = Assert.Throws<KubeConfigException>(() => KubeConfig.Load(name => name == "KUBECONFIG" ? Path.Combine(Scratch, "none") : null));
        var path = Path.Combine(Scratch, "partial");
        File.WriteAllText(path, "clusters: []\ncurrent-context: c\ncontexts:\n- name: c\n  context: {cluster: k, user: u}\n");
        var partial = Assert.Throws<KubeConfigException>(() => KubeConfig.Read(path));
        File.WriteAllText(path, "current-context: c\ncontexts:\n- name: c\n  context: {cluster: k, user: u}\nclusters:\n- name: k\n  cluster: {server: 'https://h'}\nusers:\n- name: u\n  user:\n    exec: {command: aws}\n");
        var plugin = Assert.Throws<KubeConfigException>(() => KubeConfig.Read(path));

        Assert.StartsWith($"kubeconfig {Path.Combine(Scratch, "none")}: cannot be read", missing.Message);
        Assert.Equal($"kubeconfig {path}:1:1: clusters has no entry named \"k\"", partial.Message);
        Assert.Equal($"kubeconfig {path}:11:5: exec in user \"u\" is not supported by nanokit yet; use a bearer token (token or tokenFile) or a client certificate (client-certificate-data and client-key-data)", plugin.Message);
    }

    [Fact]
    public async Task Secrets_and_configs_are_mounted_file_by_file_from_a_Secret_and_a_ConfigMap_that_go_with_the_last_pod_mounting_them()
    {
        var password = Path.Combine(Scratch, "db_password.txt");
        File.WriteAllText(password, "hunter2");
        var secret = new FileGrant("db_password", "/run/secrets/db_password", null, null, null) { Definition = new FileSource { File = password } };
        var motd = new FileGrant("motd", "/etc/motd", null, null, 256) { Definition = new FileSource { Content = "hello" } };
        await Provider.CreateAsync(new ReplicaSpec(Shop, Service("web") with { Secrets = [secret], Configs = [motd] }, 1, "hash-a", 1), default);
        await Provider.CreateAsync(new ReplicaSpec(Shop, Service("api") with { Secrets = [secret] }, 1, "hash-a", 1), default);

        var files = Api.Kubelet.Files("shop", "web-1").ToDictionary(f => f.Key, f => (Encoding.UTF8.GetString(f.Value.Content), f.Value.Mode));
        var stored = Assert.Single(Api.Store.List("secrets", "shop", _ => true).Items);
        Assert.Equal(new Dictionary<string, (string, int)> { ["/run/secrets/db_password"] = ("hunter2", 292), ["/etc/motd"] = ("hello", 256) }, files);
        Assert.Equal(("Opaque", Convert.ToBase64String("hunter2"u8)), ((string)stored["type"]!, (string)stored["data"]!["content"]!));
        Assert.Equal("hello", (string)Api.Store.Get("configmaps", "shop", "config-motd")!["data"]!["content"]!);

        await Provider.DeleteAsync(new ReplicaId(Shop, "web", 1), null, default);
        Assert.Null(Api.Store.Get("configmaps", "shop", "config-motd"));
        Assert.Single(Api.Store.List("secrets", "shop", _ => true).Items);
        await Provider.DeleteAsync(new ReplicaId(Shop, "api", 1), null, default);
        Assert.Empty(Api.Store.List("secrets", "shop", _ => true).Items);
    }

    [Fact]
    public async Task A_replica_created_again_after_its_secret_file_changed_mounts_the_new_content()
    {
        var password = Path.Combine(Scratch, "pw");
        File.WriteAllText(password, "first");
        var web = Service("web") with { Secrets = [new FileGrant("pw", "/run/secrets/pw", null, null, null) { Definition = new FileSource { File = password } }] };
        await Provider.CreateAsync(new ReplicaSpec(Shop, web, 1, "hash-a", 1), default);
        File.WriteAllText(password, "second");
        await Provider.CreateAsync(new ReplicaSpec(Shop, web, 1, "hash-b", 2), default);

        Assert.Equal("second", Encoding.UTF8.GetString(Api.Kubelet.Files("shop", "web-1")["/run/secrets/pw"].Content));
        Assert.Equal(Convert.ToBase64String("second"u8), (string)Api.Store.Get("secrets", "shop", "secret-pw")!["data"]!["content"]!);
    }

    private static ServiceSpec Service(string name) => new() { Name = name, Image = "app:1", StopGracePeriod = TimeSpan.FromSeconds(5) };

    private static (string, string, string, string) Labels(JsonObject pod, string a, string b, string c, string d)
    {
        var labels = pod["metadata"]!["labels"]!;
        return ((string)labels[a]!, (string)labels[b]!, (string)labels[c]!, (string)labels[d]!);
    }
}
