using System.Text.Json;
using Nanokit.Core.Model;
using Nanokit.Runtime;

namespace Nanokit.Providers.Kubernetes;

// The API calls behind the lifecycle: create-or-adopt on 409, delete-and-wait-until-gone, list-then-watch waits.
public sealed partial class KubernetesRuntime
{
    /// <summary>A runtime for the kubeconfig kubectl would use with these environment variables (KUBECONFIG, HOME).</summary>
    public static KubernetesRuntime FromEnvironment(Func<string, string?> variable, KubernetesRuntimeOptions? options = null) =>
        new(KubeConfig.Load(variable), options);

    private Task<PodList> ListPodsAsync(string project, string? service, CancellationToken cancellationToken) =>
        api.SendAsync<PodList>(HttpMethod.Get, $"/api/v1/namespaces/{PodDefinition.Namespace(project)}/pods?labelSelector={PodDefinition.Selector(project, service)}", null, cancellationToken);

    private async Task EnsureNamespaceAsync(string name, CancellationToken cancellationToken)
    {
        if (namespaces.ContainsKey(name))
        {
            return;
        }

        try
        {
            await api.SendAsync<JsonElement>(HttpMethod.Post, "/api/v1/namespaces", new Namespace(new ObjectMeta
            {
                Name = name,
                Labels = new Dictionary<string, string>(StringComparer.Ordinal) { [PodDefinition.ManagedBy] = "nanokit" },
            }), cancellationToken).ConfigureAwait(false);
        }
        catch (KubeApiException e) when (e.Code == 409 && e.Reason == "AlreadyExists")
        {
            // Made by an earlier run, or by whoever prepared the cluster: either way it is there.
        }

        namespaces[name] = true;
    }

    // A Service's clusterIP is immutable: the replacement carries it over.
    private Task ApplyServiceAsync(KubeService wanted, CancellationToken cancellationToken) =>
        ApplyAsync($"/api/v1/namespaces/{wanted.Metadata.Namespace}/services", wanted.Metadata.Name!, wanted, current =>
            current.Spec.Ports is { } ports && ports.SequenceEqual(wanted.Spec.Ports ?? []) ? null : wanted with
            {
                Metadata = wanted.Metadata with { ResourceVersion = current.Metadata.ResourceVersion },
                Spec = wanted.Spec with { ClusterIP = current.Spec.ClusterIP },
            }, cancellationToken);

    private Task ApplySecretAsync(KubeSecret wanted, CancellationToken cancellationToken) =>
        ApplyAsync($"/api/v1/namespaces/{wanted.Metadata.Namespace}/secrets", wanted.Metadata.Name!, wanted, current =>
            SameData(current.Data, wanted.Data) ? null : wanted with { Metadata = wanted.Metadata with { ResourceVersion = current.Metadata.ResourceVersion } },
            cancellationToken);

    private Task ApplyConfigMapAsync(ConfigMap wanted, CancellationToken cancellationToken) =>
        ApplyAsync($"/api/v1/namespaces/{wanted.Metadata.Namespace}/configmaps", wanted.Metadata.Name!, wanted, current =>
            SameData(current.BinaryData, wanted.BinaryData) && SameText(current.Data, wanted.Data)
                ? null : wanted with { Metadata = wanted.Metadata with { ResourceVersion = current.Metadata.ResourceVersion } },
            cancellationToken);

    /// <summary>
    /// Create, or on AlreadyExists compare and replace: <paramref name="replacement"/> gives the object to PUT over the
    /// current one (with its resourceVersion), or null when the current one is already right. A stale resourceVersion
    /// (someone changed it in between) is read again once.
    /// </summary>
    private async Task ApplyAsync<T>(string collection, string name, T wanted, Func<T, T?> replacement, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            await api.SendAsync<JsonElement>(HttpMethod.Post, collection, wanted, cancellationToken).ConfigureAwait(false);
            return;
        }
        catch (KubeApiException e) when (e.Code == 409 && e.Reason == "AlreadyExists")
        {
        }

        for (var attempt = 0; ; attempt++)
        {
            var current = await api.GetAsync<T>($"{collection}/{name}", cancellationToken).ConfigureAwait(false);
            if (current is null)
            {
                await api.SendAsync<JsonElement>(HttpMethod.Post, collection, wanted, cancellationToken).ConfigureAwait(false);
                return;
            }

            if (replacement(current) is not { } replaced)
            {
                return;
            }

            try
            {
                await api.SendAsync<JsonElement>(HttpMethod.Put, $"{collection}/{name}", replaced, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (KubeApiException e) when (e.Code == 409 && e.Reason == "Conflict" && attempt == 0)
            {
            }
        }
    }

    private static bool SameData(Dictionary<string, byte[]>? a, Dictionary<string, byte[]>? b) =>
        (a?.Count ?? 0) == (b?.Count ?? 0) && (a ?? []).All(e => b!.TryGetValue(e.Key, out var other) && e.Value.AsSpan().SequenceEqual(other));

    private static bool SameText(Dictionary<string, string>? a, Dictionary<string, string>? b) =>
        (a?.Count ?? 0) == (b?.Count ?? 0) && (a ?? []).All(e => b!.TryGetValue(e.Key, out var other) && e.Value == other);

    // Written before the pod, so that the kubelet finds them when it mounts its volumes; the caller holds the project's FileLock.
    private async Task ApplyFilesAsync(string project, ServiceSpec service, int? replica, CancellationToken cancellationToken)
    {
        List<KubeSecret> secrets;
        List<ConfigMap> configs;
        try
        {
            secrets = [.. MountedFiles.Secrets(project, service)];
            configs = [.. MountedFiles.ConfigMaps(project, service)];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RuntimeException(ProviderName, project, service.Name, replica, $"a secret or config file cannot be read: {e.Message}", e);
        }

        foreach (var secret in secrets)
        {
            await ApplySecretAsync(secret, cancellationToken).ConfigureAwait(false);
        }

        foreach (var config in configs)
        {
            await ApplyConfigMapAsync(config, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The Secrets and ConfigMaps of the project that no pod of it mounts any more are deleted. Creates and this cleanup
    /// of one project take turns (<see cref="FileLock"/>), so an object being applied for a pod about to be created is
    /// never taken away in between.
    /// </summary>
    private async Task RemoveUnusedFilesAsync(string project, CancellationToken cancellationToken)
    {
        var gate = FileLock(project);
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var ns = PodDefinition.Namespace(project);
            var pods = await ListPodsAsync(project, null, cancellationToken).ConfigureAwait(false);
            var used = pods.Items.SelectMany(MountedFiles.Referenced).ToHashSet(StringComparer.Ordinal);
            foreach (var resource in new[] { "secrets", "configmaps" })
            {
                var objects = await api.SendAsync<MetadataList>(HttpMethod.Get, $"/api/v1/namespaces/{ns}/{resource}?labelSelector={PodDefinition.Selector(project)}", null, cancellationToken).ConfigureAwait(false);
                foreach (var name in objects.Items.Select(o => o.Metadata.Name!).Where(n => !used.Contains(n)))
                {
                    await DeleteIgnoringMissingAsync($"/api/v1/namespaces/{ns}/{resource}/{name}", null, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            gate.Release();
        }
    }

    private SemaphoreSlim FileLock(string project) => fileLocks.GetOrAdd(project, _ => new SemaphoreSlim(1, 1));

    // A pod left by an earlier run (a crash between create and record) answers 409 AlreadyExists: it is adopted when it runs
    // this definition as this replica, else removed and created again (a pod relabelled by hand too: the name is the
    // replica's). Twice 409 means another client keeps recreating it.
    private async Task<(Pod Pod, bool Adopted)> CreateOrAdoptAsync(ReplicaId id, Pod pod, CancellationToken cancellationToken)
    {
        var hash = pod.Metadata.Annotations?.GetValueOrDefault(PodDefinition.ConfigHash);
        for (var attempt = 0; attempt < 2; attempt++)
        {
            try
            {
                return (await api.SendAsync<Pod>(HttpMethod.Post, $"/api/v1/namespaces/{pod.Metadata.Namespace}/pods", pod, cancellationToken).ConfigureAwait(false), false);
            }
            catch (KubeApiException e) when (e.Code == 409 && e.Reason == "AlreadyExists")
            {
                var existing = await api.GetAsync<Pod>(PodPath(id), cancellationToken).ConfigureAwait(false);
                if (existing is null)
                {
                    continue;
                }

                if (existing.Metadata.DeletionTimestamp is null && PodDefinition.ExitCode(existing) is null
                    && existing.Metadata.Annotations?.GetValueOrDefault(PodDefinition.ConfigHash) == hash
                    && PodDefinition.Identifies(existing, id))
                {
                    return (existing, true);
                }

                await RunPreStopAsync(id, existing, cancellationToken).ConfigureAwait(false);
                await RemovePodAsync(id, existing.Spec.TerminationGracePeriodSeconds ?? 30, cancellationToken).ConfigureAwait(false);
            }
        }

        throw new RuntimeException(ProviderName, id, $"pod {pod.Metadata.Name} was created again by another client while Nanokit replaced it");
    }

    // Started means out of Pending: scheduled and its container running (or already ended). A pod that cannot start without
    // someone changing something (an image that does not pull) fails the create instead of waiting forever.
    private async Task<Pod> WaitStartedAsync(ReplicaId id, Pod created, CancellationToken cancellationToken)
    {
        if (created.Status?.Phase is { } phase && phase != "Pending")
        {
            return created;
        }

        return await WaitPodAsync(id, pod => pod switch
        {
            null => throw new RuntimeException(ProviderName, id, "the pod was deleted while it started"),
            _ when pod.Metadata.Uid != created.Metadata.Uid => throw new RuntimeException(ProviderName, id, "the pod was replaced by another client while it started"),
            _ when PodDefinition.Stuck(pod) is { } why => throw new RuntimeException(ProviderName, id, $"pod {pod.Metadata.Name} cannot start: {why}"),
            _ when pod.Status?.Phase is "Pending" or null => null,
            _ => pod,
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes the pod with <paramref name="graceSeconds"/> (SIGTERM, then SIGKILL when it is over) and returns once it is gone.</summary>
    private async Task RemovePodAsync(ReplicaId id, long graceSeconds, CancellationToken cancellationToken)
    {
        await DeleteIgnoringMissingAsync(PodPath(id), new DeleteOptions(graceSeconds), cancellationToken).ConfigureAwait(false);
        await WaitPodAsync(id, pod => pod is null ? new Box<bool>(true) : null, cancellationToken).ConfigureAwait(false);
    }

    private async Task DeleteIgnoringMissingAsync(string path, DeleteOptions? options, CancellationToken cancellationToken)
    {
        try
        {
            await api.SendAsync<JsonElement>(HttpMethod.Delete, path, options, cancellationToken).ConfigureAwait(false);
        }
        catch (KubeApiException e) when (e.Code == 404)
        {
            // Already gone: deleting what does not exist succeeds.
        }
    }

    /// <summary>
    /// Lists the one pod (a fieldSelector on its name), then watches it from the list's resourceVersion until
    /// <paramref name="decide"/> returns a result (it sees null once the pod is gone). A watch that the server ends, or
    /// that answers 410 Expired, starts over with a new list, as the API concepts prescribe.
    /// </summary>
    private Task<T> WaitPodAsync<T>(ReplicaId id, Func<Pod?, T?> decide, CancellationToken cancellationToken)
        where T : class =>
        WaitPodAsync(PodDefinition.Namespace(id.Project.Name), PodDefinition.PodName(id.Service, id.Replica), decide, cancellationToken);

    private async Task<T> WaitPodAsync<T>(string ns, string name, Func<Pod?, T?> decide, CancellationToken cancellationToken)
        where T : class
    {
        var query = $"fieldSelector={Uri.EscapeDataString("metadata.name=" + name)}";
        while (true)
        {
            var list = await api.SendAsync<PodList>(HttpMethod.Get, $"/api/v1/namespaces/{ns}/pods?{query}", null, cancellationToken).ConfigureAwait(false);
            if (decide(list.Items.FirstOrDefault()) is { } now)
            {
                return now;
            }

            try
            {
                await foreach (var change in api.WatchAsync($"/api/v1/namespaces/{ns}/pods?{query}&resourceVersion={list.Metadata.ResourceVersion}", cancellationToken).ConfigureAwait(false))
                {
                    var pod = change.Type == "DELETED" ? null : change.Object.Deserialize<Pod>(KubeJson.Options);
                    if (decide(pod) is { } result)
                    {
                        return result;
                    }
                }
            }
            catch (KubeApiException e) when (e.Code == 410)
            {
                // The events since our list are compacted away: a fresh list is the only correct way on.
            }
        }
    }

    private async Task<T> Call<T>(ReplicaId id, Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (KubeApiException e)
        {
            throw Failure(id.Project.Name, id.Service, id.Replica, e);
        }
    }

    private async Task Call(ReplicaId id, Func<Task<bool>> call) => await Call<bool>(id, call).ConfigureAwait(false);

    private static async Task<T> Call<T>(string project, string service, int? replica, Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (KubeApiException e)
        {
            throw Failure(project, service, replica, e);
        }
    }

    private static RuntimeException Failure(string project, string service, int? replica, KubeApiException e) =>
        new(ProviderName, project, service, replica, e.Code == 0 ? e.Message : $"{e.Message} ({e.Code} {e.Reason})", e) { Transient = e.Code == 0 };
}
