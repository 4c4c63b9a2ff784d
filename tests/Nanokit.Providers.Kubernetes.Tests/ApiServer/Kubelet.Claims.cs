using System.Text.Json.Nodes;

namespace Nanokit.Providers.Kubernetes.Tests.ApiServer;

// Claims as the scheduler, the volume binder and the pvc-protection controller treat them. The one storage class binds
// WaitForFirstConsumer (as kind's and most clouds' default classes do): a claim stays Pending until a pod that uses it is
// scheduled, then is Bound to a volume "pvc-UID" of the requested size. A pod whose claim does not exist (or is being
// deleted) is not scheduled: PodScheduled False, reason Unschedulable, and a Warning event FailedScheduling with the
// scheduler's message; it is scheduled once the claim appears. A claim deleted while a pod that has not ended uses it
// keeps a deletionTimestamp and the kubernetes.io/pvc-protection finalizer, and goes when the last such pod has.
internal sealed partial class Kubelet
{
    public const string ProtectionFinalizer = "kubernetes.io/pvc-protection";

    /// <summary>Whether a pod that has not ended uses the claim (pvc-protection's rule).</summary>
    public static bool InUse(ObjectStore store, string ns, string claim) =>
        store.List("pods", ns, p => p["status"]?["phase"]?.GetValue<string>() is not ("Succeeded" or "Failed")
            && Claims(p).Contains(claim)).Items.Count > 0;

    private static IEnumerable<string> Claims(JsonObject pod) =>
        (pod["spec"]?["volumes"] as JsonArray ?? []).Select(v => v?["persistentVolumeClaim"]?["claimName"]?.GetValue<string>()).OfType<string>();

    // The scheduler's filter: null when every claim the pod uses exists, else why the pod cannot be placed.
    private string? UnschedulableBecause(string ns, JsonObject pod)
    {
        foreach (var name in Claims(pod))
        {
            var claim = store.Get("persistentvolumeclaims", ns, name);
            var why = claim is null ? $"persistentvolumeclaim \"{name}\" not found"
                : claim["metadata"]!["deletionTimestamp"] is not null ? $"persistentvolumeclaim \"{name}\" is being deleted" : null;
            if (why is not null)
            {
                return $"0/1 nodes are available: {why}. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.";
            }
        }

        return null;
    }

    private void RefuseToSchedule(string ns, string name, string why)
    {
        // One event per failed attempt; an attempt is a change of the pod, so the kubelet's own update does not count as one.
        var attempted = false;
        var pod = store.Update("pods", ns, name, p =>
        {
            var conditions = p["status"]!["conditions"] as JsonArray;
            if (conditions?.FirstOrDefault(c => (string?)c!["type"] == "PodScheduled") is JsonObject { } existing && (string?)existing["message"] == why)
            {
                return false;
            }

            attempted = true;

            SetCondition(p, "PodScheduled", false);
            var condition = p["status"]!["conditions"]!.AsArray().First(c => (string?)c!["type"] == "PodScheduled")!;
            condition["reason"] = "Unschedulable";
            condition["message"] = why;
            return true;
        });
        if (pod is null || !attempted)
        {
            return;
        }

        store.Create("events", ns, ObjectRules.Admit("events", ns, new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = $"{name}.{Guid.NewGuid().ToString("N")[..16]}" },
            ["involvedObject"] = new JsonObject { ["kind"] = "Pod", ["namespace"] = ns, ["name"] = name, ["uid"] = pod["metadata"]!["uid"]!.DeepClone() },
            ["type"] = "Warning",
            ["reason"] = "FailedScheduling",
            ["message"] = why,
            ["source"] = new JsonObject { ["component"] = "default-scheduler" },
        }));
    }

    // The binder, for WaitForFirstConsumer: the pod has a node, so each Pending claim it uses is provisioned and bound.
    private void BindClaims(string ns, JsonObject pod)
    {
        foreach (var name in Claims(pod))
        {
            store.Update("persistentvolumeclaims", ns, name, claim =>
            {
                if ((string?)claim["status"]?["phase"] == "Bound")
                {
                    return false;
                }

                claim["spec"]!["volumeName"] = "pvc-" + claim["metadata"]!["uid"]!.GetValue<string>();
                claim["status"] = new JsonObject
                {
                    ["phase"] = "Bound",
                    ["accessModes"] = claim["spec"]!["accessModes"]!.DeepClone(),
                    ["capacity"] = new JsonObject { ["storage"] = claim["spec"]!["resources"]!["requests"]!["storage"]!.DeepClone() },
                };
                return true;
            });
        }
    }

    // pvc-protection: a claim marked for deletion goes once no pod that has not ended uses it.
    private void ReleaseClaims(string ns)
    {
        foreach (var claim in store.List("persistentvolumeclaims", ns, c => c["metadata"]!["deletionTimestamp"] is not null).Items)
        {
            var name = claim["metadata"]!["name"]!.GetValue<string>();
            if (!InUse(store, ns, name))
            {
                store.Remove("persistentvolumeclaims", ns, name);
            }
        }
    }
}
