using System.Text.Json.Nodes;
using Nanokit.Core.Model;
using Nanokit.Providers.Kubernetes.Tests.ApiServer;
using Nanokit.Runtime;
using ComposeVolume = Nanokit.Core.Model.VolumeMount;

namespace Nanokit.Providers.Kubernetes.Tests;

/// <summary>Named volumes as PersistentVolumeClaims, anonymous and tmpfs volumes as emptyDirs, against the test API server's binder and scheduler.</summary>
public sealed class VolumeTests : ApiServerTest
{
    [Fact]
    public async Task Named_volumes_become_claims_bound_for_the_pod_mounted_at_their_target_and_kept_until_removed()
    {
        await Provider.CreateAsync(new ReplicaSpec(Shop, Db(), 1, "hash-a", 1), default);

        var claims = Api.Store.List("persistentvolumeclaims", "shop", _ => true).Items.ToDictionary(c => (string)c["metadata"]!["name"]!);
        Assert.Equal(["volume-db-data-" + claims.Keys.First(k => k.StartsWith("volume-db-data-", StringComparison.Ordinal))[15..], "volume-shared"], claims.Keys.Order());
        var data = claims.Values.First(c => (string?)c["metadata"]!["annotations"]!["nanokit.io/volume"] == "db_data");
        Assert.Equal(("ReadWriteOnce", "1Gi", "Bound", "1Gi"), ((string)data["spec"]!["accessModes"]![0]!, (string)data["spec"]!["resources"]!["requests"]!["storage"]!,
            (string)data["status"]!["phase"]!, (string)data["status"]!["capacity"]!["storage"]!));
        var pod = Api.Store.Get("pods", "shop", "db-1")!;
        var volumes = pod["spec"]!["volumes"]!.AsArray().ToDictionary(v => (string)v!["name"]!, v => v!.AsObject());
        var mounts = pod["spec"]!["containers"]![0]!["volumeMounts"]!.AsArray()
            .Select(m => $"{m!["mountPath"]} {Source(volumes[(string)m["name"]!])} {(bool?)m["readOnly"] ?? false}");
        Assert.Equal(
            [$"/var/lib/db claim:{data["metadata"]!["name"]} False", "/shared claim:volume-shared True", "/scratch emptyDir: False", "/cache emptyDir:Memory False", "/tmp emptyDir:Memory False"],
            mounts);
        Assert.True((bool)volumes.Values.First(v => (string?)v["persistentVolumeClaim"]?["claimName"] == "volume-shared")["persistentVolumeClaim"]!["readOnly"]!);

        await Provider.DeleteAsync(new ReplicaId(Shop, "db", 1), null, default);
        Assert.Equal(2, Api.Store.List("persistentvolumeclaims", "shop", _ => true).Items.Count);
        var removed = await Provider.RemoveVolumesAsync(Shop, default);

        Assert.Equal(["db_data", "shared"], removed.Order());
        Assert.Empty(Api.Store.List("persistentvolumeclaims", "shop", _ => true).Items);
    }

    [Fact]
    public async Task A_claim_removed_while_a_pod_uses_it_goes_once_the_pod_has_gone()
    {
        await Provider.CreateAsync(new ReplicaSpec(Shop, Db(), 1, "hash-a", 1), default);

        await Provider.RemoveVolumesAsync(Shop, default);
        var claim = Api.Store.Get("persistentvolumeclaims", "shop", "volume-shared")!;
        Assert.NotNull(claim["metadata"]!["deletionTimestamp"]);
        Assert.Equal("kubernetes.io/pvc-protection", (string)claim["metadata"]!["finalizers"]![0]!);
        await Provider.DeleteAsync(new ReplicaId(Shop, "db", 1), null, default);

        await Until(() => Api.Store.List("persistentvolumeclaims", "shop", _ => true).Items.Count == 0);
    }

    [Fact]
    public async Task A_pod_whose_claim_is_missing_stays_pending_with_failed_scheduling_until_the_claim_appears()
    {
        Api.Store.Create("namespaces", null, ObjectRules.Admit("namespaces", null, new JsonObject { ["metadata"] = new JsonObject { ["name"] = "shop" } }));
        Api.Store.Create("pods", "shop", ObjectRules.Admit("pods", "shop", JsonNode.Parse("""
            {"metadata": {"name": "web-1"}, "spec": {"containers": [{"name": "web", "image": "app:1", "volumeMounts": [{"name": "data", "mountPath": "/data"}]}],
             "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}]}}
            """)!.AsObject()));

        await Until(() => Scheduled() is ("False", _, _));
        Assert.Equal(("False", "Unschedulable", "0/1 nodes are available: persistentvolumeclaim \"data\" not found. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling."), Scheduled());
        Assert.Equal("Pending", (string)Api.Store.Get("pods", "shop", "web-1")!["status"]!["phase"]!);
        var failed = Assert.Single(Api.Store.List("events", "shop", _ => true).Items);
        Assert.Equal(("Warning", "FailedScheduling", "web-1"), ((string)failed["type"]!, (string)failed["reason"]!, (string)failed["involvedObject"]!["name"]!));
        Api.Store.Create("persistentvolumeclaims", "shop", ObjectRules.Admit("persistentvolumeclaims", "shop", JsonNode.Parse("""
            {"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}
            """)!.AsObject()));

        await Until(() => (string?)Api.Store.Get("pods", "shop", "web-1")!["status"]!["phase"] == "Running");
        Assert.Equal("Bound", (string)Api.Store.Get("persistentvolumeclaims", "shop", "data")!["status"]!["phase"]!);

        (string?, string?, string?) Scheduled() =>
            Api.Store.Get("pods", "shop", "web-1")!["status"]!["conditions"]?.AsArray().FirstOrDefault(c => (string?)c!["type"] == "PodScheduled") is { } c
                ? ((string?)c["status"], (string?)c["reason"], (string?)c["message"])
                : (null, null, null);
    }

    [Fact]
    public async Task A_claim_without_an_access_mode_or_a_size_is_invalid()
    {
        await Provider.CreateAsync(new ReplicaSpec(Shop, new ServiceSpec { Name = "web", Image = "app:1" }, 1, "hash-a", 1), default);

        var invalid = Assert.Throws<ApiError>(() => ObjectRules.Admit("persistentvolumeclaims", "shop", JsonNode.Parse("""{"metadata": {"name": "x"}, "spec": {"accessModes": ["ReadWriteSometimes"]}}""")!.AsObject()));

        Assert.Equal(422, invalid.Code);
        var causes = invalid.Status()["details"]!["causes"]!.AsArray().Select(c => $"{c!["field"]}: {c["message"]}").ToList();
        Assert.Contains("spec.accessModes: Unsupported value: \"ReadWriteSometimes\": supported values: \"ReadOnlyMany\", \"ReadWriteMany\", \"ReadWriteOnce\", \"ReadWriteOncePod\"", causes);
        Assert.Contains("spec.resources[storage]: Required value", causes);
    }

    [Fact]
    public async Task A_declared_size_is_the_claims_request_and_a_claim_of_another_size_is_refused_before_the_pod_is_touched()
    {
        await Provider.CreateAsync(new ReplicaSpec(Shop, Sized("5Gi"), 1, "hash-a", 1), default);
        var claim = ClaimOf("db_data");
        var pod = Api.Store.Get("pods", "shop", "db-1")!;

        var refused = await Assert.ThrowsAsync<RuntimeException>(() => Provider.CreateAsync(new ReplicaSpec(Shop, Sized("10Gi"), 1, "hash-b", 2), default));

        Assert.Equal("5Gi", (string)claim["spec"]!["resources"]!["requests"]!["storage"]!);
        Assert.EndsWith(
            $"volume \"db_data\": claim {claim["metadata"]!["name"]} exists with a request of 5Gi, and driver_opts.size asks for 10Gi; " +
            "nanokit does not resize a claim (as Compose never changes an existing volume): set size back to 5Gi, or delete the claim with its data (nkapp down -v) and run up again",
            refused.Message);
        Assert.False(refused.Transient);
        Assert.Equal((string?)pod["metadata"]!["uid"], (string?)Api.Store.Get("pods", "shop", "db-1")!["metadata"]!["uid"]);
        Assert.Equal("5Gi", (string)ClaimOf("db_data")["spec"]!["resources"]!["requests"]!["storage"]!);

        // The same quantity spelled otherwise, or no size at all, is the claim as it is.
        await Provider.CreateAsync(new ReplicaSpec(Shop, Sized("5120Mi"), 1, "hash-c", 3), default);
        await Provider.CreateAsync(new ReplicaSpec(Shop, Sized(null), 1, "hash-d", 4), default);
        Assert.Equal((string?)claim["metadata"]!["uid"], (string?)ClaimOf("db_data")["metadata"]!["uid"]);
    }

    private JsonObject ClaimOf(string volume) =>
        Api.Store.List("persistentvolumeclaims", "shop", _ => true).Items.Single(c => (string?)c["metadata"]!["annotations"]!["nanokit.io/volume"] == volume);

    private static ServiceSpec Sized(string? size) => Db() with
    {
        Volumes = [new ComposeVolume("volume", "db_data", "/var/lib/db", false) { Size = size }],
    };

    private static string Source(JsonObject volume) =>
        volume["persistentVolumeClaim"] is { } claim ? "claim:" + (string)claim["claimName"]! : "emptyDir:" + (string?)volume["emptyDir"]!["medium"];

    private static async Task Until(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold within 10 s");
            await Task.Delay(20);
        }
    }

    private static ServiceSpec Db() => new()
    {
        Name = "db",
        Image = "postgres:17",
        StopGracePeriod = TimeSpan.FromSeconds(5),
        Volumes =
        [
            new ComposeVolume("volume", "db_data", "/var/lib/db", false),
            new ComposeVolume("volume", "shared", "/shared", true),
            new ComposeVolume("volume", null, "/scratch", false),
            new ComposeVolume("tmpfs", null, "/cache", false),
        ],
        Container = ContainerOptions.None with { Tmpfs = ["/tmp"] },
    };
}
