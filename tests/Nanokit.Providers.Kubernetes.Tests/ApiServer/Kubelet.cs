using System.Collections.Concurrent;
using System.Text.Json.Nodes;

namespace Nanokit.Providers.Kubernetes.Tests.ApiServer;

/// <summary>
/// The scheduler and one node's kubelet of the test API server, driven by a watch of every pod like the real ones:
/// an unbound pod is bound to node "test-node" (PodScheduled); a bound Pending pod starts (phase Running, container
/// running, Initialized) — or waits with ErrImagePull when its image is in <see cref="MissingImages"/>; its Ready and
/// ContainersReady conditions turn True at once without a readinessProbe, and after the probe's initialDelaySeconds with one
/// (the exec itself is not run: a test holds readiness with <see cref="HoldReadiness"/> and releases it with <see cref="MakeReady"/>).
/// A pod being deleted gets SIGTERM: it ends at once, or, for one in <see cref="IgnoreTerm"/>, when its grace period is over;
/// then it is removed (DELETED). <see cref="Exit"/> ends a container with a code: phase Succeeded or Failed.
/// </summary>
internal sealed class Kubelet : IAsyncDisposable
{
    private readonly ObjectStore store;
    private readonly CancellationTokenSource stopping = new();
    private readonly ConcurrentDictionary<string, byte> held = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> stubborn = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> terminating = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentQueue<string>> logs = new(StringComparer.Ordinal);
    private readonly Task loop;

    public Kubelet(ObjectStore store)
    {
        this.store = store;
        var events = store.Watch("pods", null, _ => true, store.Revision, stopping.Token);
        loop = Task.Run(async () =>
        {
            await foreach (var change in events.ReadAllAsync(stopping.Token).ConfigureAwait(false))
            {
                if (change.Type != "DELETED")
                {
                    React(change.Object);
                }
            }
        });
    }

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

    /// <summary>What the pod's containers wrote (the kubelet writes one line when it starts each).</summary>
    public IReadOnlyList<string> Logs(string ns, string pod) => logs.TryGetValue(Key(ns, pod), out var lines) ? [.. lines] : [];

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await loop.ConfigureAwait(false);
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
                _ = TerminateAsync(ns, name, stubborn.ContainsKey(key) ? TimeSpan.FromSeconds(grace) : TimeSpan.Zero);
            }

            return;
        }

        var spec = pod["spec"]!;
        if (spec["nodeName"] is null)
        {
            store.Update("pods", ns, name, p =>
            {
                p["spec"]!["nodeName"] = "test-node";
                SetCondition(p, "PodScheduled", true);
                return true;
            });
            return;
        }

        if (pod["status"]!["phase"]!.GetValue<string>() == "Pending" && pod["status"]!["containerStatuses"] is null)
        {
            Start(ns, name, spec["containers"]!.AsArray());
        }
    }

    private void Start(string ns, string name, JsonArray containers)
    {
        var key = Key(ns, name);
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
                statuses.Add(new JsonObject { ["name"] = container["name"]!.DeepClone(), ["image"] = image, ["ready"] = missing is null && probe is null, ["restartCount"] = 0, ["state"] = state });
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
        foreach (var container in containers)
        {
            lines.Enqueue($"{container!["name"]} started: {container["image"]} {string.Join(' ', (container["args"] as JsonArray ?? []).Select(a => a!.GetValue<string>()))}".TrimEnd());
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

    private async Task TerminateAsync(string ns, string name, TimeSpan grace)
    {
        if (grace > TimeSpan.Zero)
        {
            await Task.Delay(grace, stopping.Token).ConfigureAwait(false);
        }

        store.Remove("pods", ns, name);
    }

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
