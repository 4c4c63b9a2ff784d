using System.Collections.Concurrent;
using System.Text.Json.Nodes;

namespace Nanokit.Providers.Kubernetes.Tests.ApiServer;

/// <summary>
/// The scheduler and one node's kubelet of the test API server, driven by a watch of every pod like the real ones:
/// an unbound pod is bound to node "test-node" (PodScheduled); a bound Pending pod starts (phase Running, container
/// running, Initialized) — or waits with ErrImagePull when its image is in <see cref="MissingImages"/>; its Ready and
/// ContainersReady conditions turn True at once without a readinessProbe, and after the probe's initialDelaySeconds with one
/// (for an image that is not runnable the exec itself is not run: a test holds readiness with <see cref="HoldReadiness"/> and
/// releases it with <see cref="MakeReady"/>).
/// A pod whose secret or configMap volume names an object that does not exist waits (container waiting ContainerCreating)
/// until it appears; the files its volumes project are in <see cref="Files"/>.
/// A pod being deleted gets SIGTERM: it ends at once, or, for one in <see cref="IgnoreTerm"/>, when its grace period is over;
/// then it is removed (DELETED). <see cref="Exit"/> ends a container with a code: phase Succeeded or Failed.
/// Claims are scheduled, bound and protected as Kubelet.Claims.cs says.
/// A pod whose image is in <see cref="RunnableImages"/> runs its container's command and args as a real process on this
/// machine (Kubelet.Processes.cs), its output its log and its exit code the container's; its startupProbe and readinessProbe
/// run as real commands with the kubelet's thresholds (Kubelet.Probes.cs), and hold or release readiness in its place.
/// </summary>
internal sealed partial class Kubelet : IAsyncDisposable
{
    private readonly ObjectStore store;
    private readonly string scratch;
    private readonly CancellationTokenSource stopping = new();
    private readonly ConcurrentDictionary<string, byte> held = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> stubborn = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> terminating = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentQueue<string>> logs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, IReadOnlyDictionary<string, MountedFile>> mounted = new(StringComparer.Ordinal);
    private readonly ConcurrentBag<Task> probing = [];
    private readonly Task loop;
    private readonly Task sources;

    public Kubelet(ObjectStore store, string scratch)
    {
        this.store = store;
        this.scratch = scratch;
        var events = store.Watch("pods", null, _ => true, store.Revision, stopping.Token);
        loop = Task.Run(async () =>
        {
            await foreach (var change in events.ReadAllAsync(stopping.Token).ConfigureAwait(false))
            {
                if (change.Type != "DELETED")
                {
                    React(change.Object);
                }
                else
                {
                    // Deleted at once (gracePeriodSeconds=0): its process goes too.
                    var meta = change.Object["metadata"]!;
                    await KillAsync((string)meta["namespace"]!, (string)meta["name"]!, (string)meta["uid"]!).ConfigureAwait(false);
                    ReleaseClaims((string)meta["namespace"]!);
                }
            }
        });

        // A pod waiting for a Secret or ConfigMap to mount is started once it appears, as the kubelet's volume manager retries.
        // A pod waiting for its claim is scheduled once the claim appears, as the scheduler retries.
        var secrets = store.Watch("secrets", null, _ => true, store.Revision, stopping.Token);
        var configs = store.Watch("configmaps", null, _ => true, store.Revision, stopping.Token);
        var claims = store.Watch("persistentvolumeclaims", null, _ => true, store.Revision, stopping.Token);
        sources = Task.WhenAll(Forward(secrets), Forward(configs), Forward(claims));
        async Task Forward(System.Threading.Channels.ChannelReader<StoredEvent> from)
        {
            await foreach (var change in from.ReadAllAsync(stopping.Token).ConfigureAwait(false))
            {
                if (change.Type == "ADDED")
                {
                    var ns = change.Object["metadata"]!["namespace"]!.GetValue<string>();
                    foreach (var pod in store.List("pods", ns, p => WaitsToMount(p) || p["spec"]!["nodeName"] is null).Items)
                    {
                        React(pod);
                    }
                }
            }
        }
    }

    /// <summary>A file a pod's container sees through a secret or configMap volume: content and mode (decimal, as on the wire).</summary>
    public sealed record MountedFile(byte[] Content, int Mode);

    /// <summary>Images whose pull fails (the container waits with reason ErrImagePull).</summary>
    public ConcurrentDictionary<string, byte> MissingImages { get; } = new(StringComparer.Ordinal);

    /// <summary>Keeps the pod unready (its probe "failing") until <see cref="MakeReady"/>; call before the pod is created.</summary>
    public void HoldReadiness(string ns, string pod) => held[Key(ns, pod)] = 0;

    /// <summary>The pod's container ignores SIGTERM: it goes only when its grace period is over.</summary>
    public void IgnoreTerm(string ns, string pod) => stubborn[Key(ns, pod)] = 0;

    public void MakeReady(string ns, string pod)
    {
        held.TryRemove(Key(ns, pod), out _);
        store.Update("pods", ns, pod, p =>
        {
            if (p["status"]!["phase"]!.GetValue<string>() != "Running" || p["metadata"]!["deletionTimestamp"] is not null)
            {
                return false;
            }

            SetCondition(p, "Ready", true);
            SetCondition(p, "ContainersReady", true);
            foreach (var status in p["status"]!["containerStatuses"]!.AsArray())
            {
                status!["ready"] = true;
            }

            return true;
        });
    }

    /// <summary>The pod's container exits with <paramref name="code"/>; with restartPolicy Never the pod ends.</summary>
    public void Exit(string ns, string pod, int code) => store.Update("pods", ns, pod, p =>
    {
        p["status"]!["phase"] = code == 0 ? "Succeeded" : "Failed";
        SetCondition(p, "Ready", false);
        SetCondition(p, "ContainersReady", false);
        foreach (var status in p["status"]!["containerStatuses"]!.AsArray())
        {
            status!["ready"] = false;
            status["state"] = new JsonObject
            {
                ["terminated"] = new JsonObject { ["exitCode"] = code, ["reason"] = code == 0 ? "Completed" : "Error", ["finishedAt"] = ObjectStore.Now() },
            };
        }

        return true;
    });

    /// <summary>The files the pod's container sees through its secret and configMap volumes, by path; empty before it starts.</summary>
    public IReadOnlyDictionary<string, MountedFile> Files(string ns, string pod) => mounted.GetValueOrDefault(Key(ns, pod)) ?? new Dictionary<string, MountedFile>();

    /// <summary>What the pod's containers wrote (the kubelet writes one line when it starts each).</summary>
    public IReadOnlyList<string> Logs(string ns, string pod) => logs.TryGetValue(Key(ns, pod), out var lines) ? [.. lines] : [];

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync().ConfigureAwait(false);
        await KillAllAsync().ConfigureAwait(false);
        try
        {
            await loop.ConfigureAwait(false);
            await sources.ConfigureAwait(false);
            await Task.WhenAll(probing).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        stopping.Dispose();
    }

    private void React(JsonObject pod)
    {
        var meta = pod["metadata"]!;
        var ns = meta["namespace"]!.GetValue<string>();
        var name = meta["name"]!.GetValue<string>();
        var key = Key(ns, name);
        if (meta["deletionTimestamp"] is not null)
        {
            if (terminating.TryAdd(key + "/" + meta["uid"], 0))
            {
                var grace = meta["deletionGracePeriodSeconds"]?.GetValue<long>() ?? 0;
                _ = TerminateAsync(ns, name, (string)meta["uid"]!, stubborn.ContainsKey(key) ? TimeSpan.FromSeconds(grace) : TimeSpan.Zero);
            }

            return;
        }

        var spec = pod["spec"]!;
        if (pod["status"]?["phase"]?.GetValue<string>() is "Succeeded" or "Failed")
        {
            ReleaseClaims(ns);
            return;
        }

        if (spec["nodeName"] is null)
        {
            if (UnschedulableBecause(ns, pod) is { } why)
            {
                RefuseToSchedule(ns, name, why);
                return;
            }

            BindClaims(ns, pod);
            store.Update("pods", ns, name, p =>
            {
                p["spec"]!["nodeName"] = "test-node";
                SetCondition(p, "PodScheduled", true);
                var scheduled = p["status"]!["conditions"]!.AsArray().First(c => (string?)c!["type"] == "PodScheduled")!.AsObject();
                scheduled.Remove("reason");
                scheduled.Remove("message");
                return true;
            });
            return;
        }

        if (pod["status"]!["phase"]!.GetValue<string>() == "Pending" && (pod["status"]!["containerStatuses"] is null || WaitsToMount(pod)))
        {
            Start(ns, name, (string)meta["uid"]!, spec.AsObject());
        }
    }

    private void Start(string ns, string name, string uid, JsonObject spec)
    {
        var key = Key(ns, name);
        var containers = spec["containers"]!.AsArray();
        if (Mount(ns, spec) is not { } files)
        {
            store.Update("pods", ns, name, p =>
            {
                if (WaitsToMount(p))
                {
                    return false;
                }

                p["status"]!["containerStatuses"] = new JsonArray([.. containers.Select(c => (JsonNode)new JsonObject
                {
                    ["name"] = c!["name"]!.DeepClone(), ["image"] = c["image"]!.DeepClone(), ["ready"] = false, ["restartCount"] = 0,
                    ["state"] = new JsonObject { ["waiting"] = new JsonObject { ["reason"] = "ContainerCreating" } },
                })]);
                SetCondition(p, "Initialized", true);
                return true;
            });
            return;
        }

        mounted[key] = files;
        var missing = containers.Select(c => c!["image"]!.GetValue<string>()).FirstOrDefault(MissingImages.ContainsKey);
        var probe = containers.Select(c => c!["readinessProbe"]).FirstOrDefault(p => p is not null);
        store.Update("pods", ns, name, p =>
        {
            var statuses = new JsonArray();
            foreach (var container in containers)
            {
                var image = container!["image"]!.GetValue<string>();
                var state = missing is not null
                    ? new JsonObject { ["waiting"] = new JsonObject { ["reason"] = "ErrImagePull", ["message"] = $"failed to pull image \"{image}\": not found" } }
                    : new JsonObject { ["running"] = new JsonObject { ["startedAt"] = ObjectStore.Now() } };
                statuses.Add(new JsonObject
                {
                    ["name"] = container["name"]!.DeepClone(), ["image"] = image, ["ready"] = missing is null && probe is null, ["restartCount"] = 0, ["state"] = state,
                    ["started"] = missing is null && container["startupProbe"] is null,
                });
            }

            p["status"]!["containerStatuses"] = statuses;
            SetCondition(p, "Initialized", true);
            SetCondition(p, "ContainersReady", missing is null && probe is null);
            SetCondition(p, "Ready", missing is null && probe is null);
            if (missing is null)
            {
                p["status"]!["phase"] = "Running";
                p["status"]!["startTime"] = ObjectStore.Now();
            }

            return true;
        });
        if (missing is not null)
        {
            return;
        }

        var lines = logs.GetOrAdd(key, _ => new ConcurrentQueue<string>());
        if (containers.Any(c => RunnableImages.ContainsKey(c!["image"]!.GetValue<string>())))
        {
            // Its log is what its process writes, as a real container's is; its probes run as real commands (Kubelet.Probes.cs).
            var container = containers[0]!.AsObject();
            Run(ns, name, uid, container, lines);
            if (container["startupProbe"] is not null || container["readinessProbe"] is not null)
            {
                probing.Add(ProbeAsync(ns, name, uid, container));
            }

            return;
        }
        else
        {
            foreach (var container in containers)
            {
                lines.Enqueue($"{container!["name"]} started: {container["image"]} {string.Join(' ', (container["args"] as JsonArray ?? []).Select(a => a!.GetValue<string>()))}".TrimEnd());
            }
        }

        if (probe is not null && !held.ContainsKey(key))
        {
            _ = ReadyLaterAsync(ns, name, TimeSpan.FromSeconds(probe["initialDelaySeconds"]?.GetValue<int>() ?? 0));
        }
    }

    private async Task ReadyLaterAsync(string ns, string name, TimeSpan delay)
    {
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, stopping.Token).ConfigureAwait(false);
        }

        if (!held.ContainsKey(Key(ns, name)))
        {
            MakeReady(ns, name);
        }
    }

    private async Task TerminateAsync(string ns, string name, string uid, TimeSpan grace)
    {
        if (grace > TimeSpan.Zero)
        {
            await Task.Delay(grace, stopping.Token).ConfigureAwait(false);
        }

        await KillAsync(ns, name, uid).ConfigureAwait(false);
        store.Remove("pods", ns, name);
    }

    // The volumes' files by mount path, or null while a Secret or ConfigMap a volume needs does not exist (optional ones aside).
    private Dictionary<string, MountedFile>? Mount(string ns, JsonObject spec)
    {
        var projected = new Dictionary<string, Dictionary<string, MountedFile>>(StringComparer.Ordinal);
        foreach (var volume in spec["volumes"] as JsonArray ?? [])
        {
            var (resource, source, reference) = volume!["secret"] is JsonObject s ? ("secrets", s, "secretName")
                : volume["configMap"] is JsonObject c ? ("configmaps", c, "name") : (null, null, null);
            if (resource is null)
            {
                continue;
            }

            var obj = store.Get(resource, ns, source![reference!]!.GetValue<string>());
            if (obj is null)
            {
                if (source["optional"]?.GetValue<bool>() == true)
                {
                    projected[volume["name"]!.GetValue<string>()] = [];
                    continue;
                }

                return null;
            }

            var data = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            foreach (var (k, v) in obj["data"] as JsonObject ?? [])
            {
                data[k] = resource == "secrets" ? Convert.FromBase64String(v!.GetValue<string>()) : System.Text.Encoding.UTF8.GetBytes(v!.GetValue<string>());
            }

            foreach (var (k, v) in obj["binaryData"] as JsonObject ?? [])
            {
                data[k] = Convert.FromBase64String(v!.GetValue<string>());
            }

            var mode = source["defaultMode"]?.GetValue<int>() ?? 420; // 0644
            var files = new Dictionary<string, MountedFile>(StringComparer.Ordinal);
            if (source["items"] is JsonArray { Count: > 0 } items)
            {
                foreach (var item in items)
                {
                    if (!data.TryGetValue(item!["key"]!.GetValue<string>(), out var bytes))
                    {
                        return null;
                    }

                    files[item["path"]!.GetValue<string>()] = new MountedFile(bytes, item["mode"]?.GetValue<int>() ?? mode);
                }
            }
            else
            {
                foreach (var (k, bytes) in data)
                {
                    files[k] = new MountedFile(bytes, mode);
                }
            }

            projected[volume["name"]!.GetValue<string>()] = files;
        }

        var result = new Dictionary<string, MountedFile>(StringComparer.Ordinal);
        foreach (var container in spec["containers"]!.AsArray())
        {
            foreach (var mount in container!["volumeMounts"] as JsonArray ?? [])
            {
                if (!projected.TryGetValue(mount!["name"]!.GetValue<string>(), out var files))
                {
                    continue;
                }

                var at = mount["mountPath"]!.GetValue<string>().TrimEnd('/');
                if (mount["subPath"]?.GetValue<string>() is { Length: > 0 } subPath)
                {
                    if (files.TryGetValue(subPath, out var file))
                    {
                        result[at] = file;
                    }
                }
                else
                {
                    foreach (var (path, file) in files)
                    {
                        result[at + "/" + path] = file;
                    }
                }
            }
        }

        return result;
    }

    private static bool WaitsToMount(JsonObject pod) =>
        pod["status"]?["phase"]?.GetValue<string>() == "Pending"
        && pod["status"]?["containerStatuses"] is JsonArray statuses
        && statuses.Any(s => s?["state"]?["waiting"]?["reason"]?.GetValue<string>() == "ContainerCreating");

    private static void SetCondition(JsonObject pod, string type, bool value)
    {
        var status = pod["status"]!.AsObject();
        if (status["conditions"] is not JsonArray conditions)
        {
            status["conditions"] = conditions = [];
        }

        var text = value ? "True" : "False";
        if (conditions.FirstOrDefault(c => c!["type"]!.GetValue<string>() == type) is JsonObject existing)
        {
            if (existing["status"]!.GetValue<string>() != text)
            {
                existing["status"] = text;
                existing["lastTransitionTime"] = ObjectStore.Now();
            }

            return;
        }

        conditions.Add(new JsonObject { ["type"] = type, ["status"] = text, ["lastProbeTime"] = null, ["lastTransitionTime"] = ObjectStore.Now() });
    }

    private static string Key(string ns, string pod) => ns + "/" + pod;
}
