using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Nanokit.Core.Model;
using Nanokit.Runtime;

namespace Nanokit.Providers.Kubernetes;

/// <summary>
/// Replicas as Kubernetes Pods, over the REST API with a small typed client (<see cref="KubeApi"/>; docs/kubernetes.md says
/// why not KubernetesClient). The reconciler manages replicas itself, so each replica is one bare Pod (no Deployment)
/// named <c>service-n</c>, with <c>restartPolicy: Never</c> so that an exit is seen and healed by Nanokit, labelled
/// <c>app.kubernetes.io/managed-by=nanokit</c>, <c>nanokit.io/project</c>, <c>nanokit.io/service</c>, <c>nanokit.io/replica</c>
/// and annotated with the config hash and generation: a label-selected list alone rebuilds the picture after a crash.
/// Each project gets its own namespace, named after it, created on first use and never deleted by Nanokit (deleting a
/// namespace deletes whatever else lives in it); inside it a service with ports gets a ClusterIP Service of its own name,
/// so pods reach each other by Compose service name as on a Compose network. The Service goes with the service's last pod.
/// Kubernetes has no stopped pod, so <c>nkapp stop</c> deletes it (KubernetesRuntime.RunState.cs); an ended pod (Succeeded or
/// Failed) is observed as Exited and <see cref="StartAsync"/> replaces it by a pod of the same definition.
/// Health is the pod's Ready condition, which the kubelet sets from the readinessProbe the healthcheck becomes; waits are
/// list-then-watch (a 410 Expired starts over with a fresh list), never polls.
/// </summary>
public sealed partial class KubernetesRuntime : IRuntimeProvider, IReplicaLogs, IDisposable
{
    private const string ProviderName = "kubernetes";

    private readonly KubeApi api;
    private readonly ConcurrentDictionary<string, bool> namespaces = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> fileLocks = new(StringComparer.Ordinal);

    public KubernetesRuntime(KubeConfig config, KubernetesRuntimeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        options ??= new KubernetesRuntimeOptions();
        options.Validate();
        api = new KubeApi(config, options.RequestTimeout);
    }

    public string Name => ProviderName;

    /// <summary>The API server this runtime talks to.</summary>
    public Uri Server => api.Server;

    public void Dispose()
    {
        api.Dispose();
        foreach (var gate in fileLocks.Values.Concat(hookLocks.Values))
        {
            gate.Dispose();
        }
    }

    public async Task<ObservedState> ObserveAsync(ProjectRef project, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(project);
        var list = await Call(project.Name, "*", null, () => ListPodsAsync(project.Name, null, cancellationToken)).ConfigureAwait(false);
        return new ObservedState(list.Items
            .Select(PodDefinition.Observed)
            .OfType<ObservedReplica>()
            .OrderBy(r => r.Service, StringComparer.Ordinal)
            .ThenBy(r => r.Replica)
            .ToImmutableArray());
    }

    public Task<ObservedReplica> CreateAsync(ReplicaSpec replica, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(replica);
        return Call(replica.Id, async () =>
        {
            var ns = PodDefinition.Namespace(replica.Project.Name);
            await EnsureNamespaceAsync(ns, cancellationToken).ConfigureAwait(false);
            if (!replica.Service.Ports.IsEmpty)
            {
                await ApplyServiceAsync(PodDefinition.ServiceFor(replica.Project.Name, replica.Service), cancellationToken).ConfigureAwait(false);
            }

            (Pod Pod, bool Adopted) pod;
            var gate = FileLock(replica.Project.Name);
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await ApplyFilesAsync(replica.Project.Name, replica.Service, replica.Replica, cancellationToken).ConfigureAwait(false);
                await EnsureClaimsAsync(replica.Project.Name, replica.Service, cancellationToken).ConfigureAwait(false);
                pod = await CreateOrAdoptAsync(replica.Id, PodDefinition.For(replica), cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                gate.Release();
            }

            return await StartedAsync(replica.Id, pod, cancellationToken).ConfigureAwait(false);
        });
    }

    public Task<ObservedReplica> StartAsync(ReplicaId replica, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(replica);
        return Call(replica, async () =>
        {
            var pod = await api.GetAsync<Pod>(PodPath(replica), cancellationToken).ConfigureAwait(false);
            if (pod is null)
            {
                // Stopped (a restart's stop deletes the pod): the reconciler creates it from the desired spec, which a
                // node that took the project over after the stop has as well as the one that stopped it.
                throw new RuntimeException(ProviderName, replica, $"there is no pod {PodDefinition.PodName(replica.Service, replica.Replica)} to start (create it instead)") { Missing = true };
            }

            if (!PodDefinition.Identifies(pod, replica))
            {
                // Relabelled by hand: it has left the project, and the create replaces it (the name is the replica's).
                throw new RuntimeException(ProviderName, replica, $"pod {pod.Metadata.Name} no longer carries this replica's labels (relabelled?): it is not the replica to start (create it instead)") { Missing = true };
            }

            if (pod.Metadata.DeletionTimestamp is null && PodDefinition.ExitCode(pod) is null)
            {
                return PodDefinition.Observed(pod)!;
            }

            // An ended pod cannot run again: a new one of the same definition takes its name once it is gone.
            await RemovePodAsync(replica, 0, cancellationToken).ConfigureAwait(false);
            return await StartedAsync(replica, await CreateOrAdoptAsync(replica, Again(pod), cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        });
    }

    // A pod this run created has its post_start hooks run once it has started; an adopted one ran them when it was created.
    private async Task<ObservedReplica> StartedAsync(ReplicaId id, (Pod Pod, bool Adopted) created, CancellationToken cancellationToken)
    {
        var started = await WaitStartedAsync(id, created.Pod, cancellationToken).ConfigureAwait(false);
        if (created.Adopted || PodDefinition.HookCommands(started, PodDefinition.PostStart).Length == 0)
        {
            return PodDefinition.Observed(started)!;
        }

        await RunPostStartAsync(id, started, cancellationToken).ConfigureAwait(false);
        return (await api.GetAsync<Pod>(PodPath(id), cancellationToken).ConfigureAwait(false) is { } now ? PodDefinition.Observed(now) : null) ?? PodDefinition.Observed(started)!;
    }

    public Task DeleteAsync(ReplicaId replica, TimeSpan? stopTimeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(replica);
        return Call(replica, async () =>
        {
            var pod = await api.GetAsync<Pod>(PodPath(replica), cancellationToken).ConfigureAwait(false);
            if (pod is not null)
            {
                var grace = stopTimeout is { } timeout ? (long)Math.Ceiling(timeout.TotalSeconds) : pod.Spec.TerminationGracePeriodSeconds ?? 30;
                await RunPreStopAsync(replica, pod, cancellationToken).ConfigureAwait(false);
                await RemovePodAsync(replica, grace, cancellationToken).ConfigureAwait(false);
            }

            var left = await ListPodsAsync(replica.Project.Name, replica.Service, cancellationToken).ConfigureAwait(false);
            if (left.Items.Count == 0)
            {
                await DeleteIgnoringMissingAsync(ServicePath(replica.Project.Name, PodDefinition.ServiceName(replica.Service)), null, cancellationToken).ConfigureAwait(false);
            }

            await RemoveUnusedFilesAsync(replica.Project.Name, cancellationToken).ConfigureAwait(false);

            return true;
        });
    }

    public Task<HealthStatus> ProbeHealthAsync(ReplicaId replica, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(replica);
        return Call(replica, async () => PodDefinition.Health(Mine(replica, await api.GetAsync<Pod>(PodPath(replica), cancellationToken).ConfigureAwait(false))));
    }

    public Task<HealthStatus> WaitForHealthAsync(ReplicaId replica, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(replica);
        return Call(replica, async () => (await WaitPodAsync(replica, pod => PodDefinition.Health(Mine(replica, pod)) is var health && health != HealthStatus.Starting ? new Box<HealthStatus>(health) : null, cancellationToken).ConfigureAwait(false)).Value);
    }

    public Task<int> WaitForCompletionAsync(ReplicaId replica, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(replica);
        return Call(replica, async () => (await WaitPodAsync(
            replica,
            pod => Mine(replica, pod) is null ? throw new RuntimeException(ProviderName, replica, "the pod was deleted (or relabelled out of the project) before it completed")
                : PodDefinition.ExitCode(pod!) is { } code ? new Box<int>(code) : null,
            cancellationToken).ConfigureAwait(false)).Value);
    }

    public async IAsyncEnumerable<RuntimeChange> WatchAsync(ProjectRef project, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(project);
        var path = $"/api/v1/namespaces/{PodDefinition.Namespace(project.Name)}/pods?labelSelector={PodDefinition.Selector(project.Name)}";
        while (!cancellationToken.IsCancellationRequested)
        {
            var list = await Call(project.Name, "*", null, () => ListPodsAsync(project.Name, null, cancellationToken)).ConfigureAwait(false);

            // Which replica each pod was, by uid: a pod relabelled within the project (another service or replica label)
            // stays selected, so its MODIFIED event carries only the new labels, and the replica it was is missing.
            // One relabelled out of the project's selector arrives as DELETED with its previous labels, as a deleted one.
            var replicas = list.Items.Select(p => (p.Metadata.Uid, Replica: PodDefinition.Observed(p)))
                .Where(p => p.Uid is not null && p.Replica is not null)
                .ToDictionary(p => p.Uid!, p => (p.Replica!.Service, p.Replica.Replica), StringComparer.Ordinal);
            await using var events = api.WatchAsync($"{path}&resourceVersion={list.Metadata.ResourceVersion}", cancellationToken).GetAsyncEnumerator(cancellationToken);
            while (await NextAsync(project, events).ConfigureAwait(false))
            {
                var pod = events.Current.Object.Deserialize<Pod>(KubeJson.Options)!;
                var now = events.Current.Type == "DELETED" ? null : PodDefinition.Observed(pod);
                if (pod.Metadata.Uid is { } uid && replicas.Remove(uid, out var was) && (now is null || (now.Service, now.Replica) != was))
                {
                    yield return new RuntimeChange(project.Name, new ObservedReplica(was.Service, was.Replica, "", ReplicaState.Missing), DateTimeOffset.UtcNow);
                    if (now is null)
                    {
                        continue;
                    }
                }

                if (now is not null && pod.Metadata.Uid is { } current)
                {
                    replicas[current] = (now.Service, now.Replica);
                }

                if (Change(project, events.Current.Type, pod) is { } change)
                {
                    yield return change;
                }
            }
        }
    }

    public async IAsyncEnumerable<string> ReadLogsAsync(ReplicaId replica, LogReadOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(replica);
        ArgumentNullException.ThrowIfNull(options);
        var query = new List<string>();
        if (options.Tail is { } tail)
        {
            query.Add($"tailLines={tail}");
        }

        if (options.Follow)
        {
            query.Add("follow=true");
        }

        if (options.Timestamps)
        {
            query.Add("timestamps=true");
        }

        if (options.Since is { } since)
        {
            query.Add("sinceTime=" + Uri.EscapeDataString(since.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)));
        }

        var path = PodPath(replica) + "/log" + (query.Count == 0 ? "" : "?" + string.Join('&', query));
        await using var lines = api.ReadLinesAsync(path, cancellationToken).GetAsyncEnumerator(cancellationToken);
        while (await Call<bool>(replica, async () => await lines.MoveNextAsync().ConfigureAwait(false)).ConfigureAwait(false))
        {
            yield return lines.Current;
        }
    }

    private static RuntimeChange? Change(ProjectRef project, string type, Pod pod)
    {
        var labels = pod.Metadata.Labels ?? [];
        if (!labels.TryGetValue(PodDefinition.ServiceLabel, out var service) || !labels.TryGetValue(PodDefinition.Replica, out var r)
            || !int.TryParse(r, CultureInfo.InvariantCulture, out var replica))
        {
            return null;
        }

        var observed = type == "DELETED" ? null : PodDefinition.Observed(pod);
        return new RuntimeChange(project.Name, observed ?? new ObservedReplica(service, replica, "", ReplicaState.Missing), DateTimeOffset.UtcNow);
    }

    private async Task<bool> NextAsync(ProjectRef project, IAsyncEnumerator<WatchEvent> events)
    {
        try
        {
            return await events.MoveNextAsync().ConfigureAwait(false);
        }
        catch (KubeApiException e) when (e.Code == 410)
        {
            return false;
        }
        catch (KubeApiException e)
        {
            throw Failure(project.Name, "*", null, e);
        }
    }

    // The pod under the replica's name when it is still the replica; null when it is gone or was relabelled out of it.
    private static Pod? Mine(ReplicaId replica, Pod? pod) => pod is not null && PodDefinition.Identifies(pod, replica) ? pod : null;

    private static string PodPath(ReplicaId replica) =>
        $"/api/v1/namespaces/{PodDefinition.Namespace(replica.Project.Name)}/pods/{PodDefinition.PodName(replica.Service, replica.Replica)}";

    private static string ServicePath(string project, string name) => $"/api/v1/namespaces/{PodDefinition.Namespace(project)}/services/{name}";

    private sealed record Box<T>(T Value);
}
