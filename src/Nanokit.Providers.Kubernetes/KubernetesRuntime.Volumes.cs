using System.Text.Json;
using Nanokit.Core.Model;
using Nanokit.Runtime;

namespace Nanokit.Providers.Kubernetes;

// Named volumes as PersistentVolumeClaims (MountedVolumes): created before a pod that mounts them, never deleted with pods,
// deleted by `nkapp down -v` as `docker compose down -v` removes the project's volumes.
public sealed partial class KubernetesRuntime
{
    /// <summary>
    /// Deletes the claims Nanokit created for <paramref name="project"/> (found by label, so a claim made by someone else is
    /// never touched); returns the Compose names of their volumes. A claim a pod still mounts is deleted once that pod is gone
    /// (the API server's pvc-protection), as Kubernetes does it.
    /// </summary>
    public async Task<IReadOnlyList<string>> RemoveVolumesAsync(ProjectRef project, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(project);
        var ns = PodDefinition.Namespace(project.Name);
        return await Call(project.Name, "*", null, async () =>
        {
            var claims = await api.SendAsync<MetadataList>(HttpMethod.Get, $"/api/v1/namespaces/{ns}/persistentvolumeclaims?labelSelector={PodDefinition.Selector(project.Name)}", null, cancellationToken).ConfigureAwait(false);
            var removed = new List<string>();
            foreach (var claim in claims.Items.OrderBy(c => c.Metadata.Name, StringComparer.Ordinal))
            {
                await DeleteIgnoringMissingAsync($"/api/v1/namespaces/{ns}/persistentvolumeclaims/{claim.Metadata.Name}", null, cancellationToken).ConfigureAwait(false);
                removed.Add(claim.Metadata.Annotations?.GetValueOrDefault(MountedVolumes.VolumeAnnotation) ?? claim.Metadata.Name!);
            }

            return (IReadOnlyList<string>)removed;
        }).ConfigureAwait(false);
    }

    // An existing claim is kept as it is: it holds the volume's data. A declared size it does not request is refused
    // rather than kept in silence (the user asked for it) or changed: Compose never resizes a volume, and a claim can
    // only grow, where its storage class allows it. The refusal comes before any pod is touched.
    private async Task EnsureClaimsAsync(string project, ServiceSpec service, CancellationToken cancellationToken)
    {
        foreach (var (claim, volume, declared) in MountedVolumes.Claims(project, service))
        {
            var path = $"/api/v1/namespaces/{claim.Metadata.Namespace}/persistentvolumeclaims";
            try
            {
                await api.SendAsync<JsonElement>(HttpMethod.Post, path, claim, cancellationToken).ConfigureAwait(false);
            }
            catch (KubeApiException e) when (e.Code == 409 && e.Reason == "AlreadyExists")
            {
                // Made by an earlier up, or by another service of the project sharing the volume.
                if (declared is not null
                    && await api.GetAsync<PersistentVolumeClaim>($"{path}/{claim.Metadata.Name}", cancellationToken).ConfigureAwait(false) is { } existing
                    && existing.Spec?.Resources?.Requests?.GetValueOrDefault("storage") is { } requested
                    && !SameSize(requested, declared))
                {
                    throw new RuntimeException(ProviderName, project, service.Name, null,
                        $"volume \"{volume}\": claim {claim.Metadata.Name} exists with a request of {requested}, and driver_opts.size asks for {declared}; " +
                        $"nanokit does not resize a claim (as Compose never changes an existing volume): set size back to {requested}, or delete the claim with its data (nkapp down -v) and run up again");
                }
            }
        }
    }

    private static bool SameSize(string requested, string declared) =>
        StorageQuantity.TryParse(requested, out var have) && StorageQuantity.TryParse(declared, out var want) ? have == want : requested == declared;
}
