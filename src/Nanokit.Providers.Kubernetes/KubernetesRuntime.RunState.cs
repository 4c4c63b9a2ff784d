using Nanokit.Runtime;

namespace Nanokit.Providers.Kubernetes;

// nkapp stop on Kubernetes, which has no stopped pod: the pod is deleted (its pre_stop hooks first, then SIGTERM and the
// grace period, as a delete) and the reconciler's run state remembers the service as stopped, so that drift leaves the
// missing replica alone and `start` (or `up`) creates it again from the spec. Its Service, Secrets, ConfigMaps and claims
// stay, as a stopped container keeps its network and volumes. A restart's start finds no pod and says so
// (RuntimeException.Missing): the reconciler then creates the pod from the desired spec, as for `start`, so nothing
// between the stop and the start lives in this runtime's memory, and a start after a failover works the same.
public sealed partial class KubernetesRuntime
{
    public Task StopAsync(ReplicaId replica, TimeSpan? stopTimeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(replica);
        return Call(replica, async () =>
        {
            var pod = await api.GetAsync<Pod>(PodPath(replica), cancellationToken).ConfigureAwait(false);
            if (pod is null)
            {
                // Gone: nothing runs in the slot.
                return true;
            }

            await RunPreStopAsync(replica, pod, cancellationToken).ConfigureAwait(false);
            var grace = stopTimeout is { } timeout ? (long)Math.Ceiling(timeout.TotalSeconds) : pod.Spec.TerminationGracePeriodSeconds ?? 30;
            await RemovePodAsync(replica, grace, cancellationToken).ConfigureAwait(false);
            return true;
        });
    }

    // The definition a new pod of the slot gets: the old one's, without what the API server and scheduler filled in.
    private static Pod Again(Pod pod) => new()
    {
        Metadata = new ObjectMeta { Name = pod.Metadata.Name, Namespace = pod.Metadata.Namespace, Labels = pod.Metadata.Labels, Annotations = pod.Metadata.Annotations },
        Spec = pod.Spec with { NodeName = null },
    };
}
