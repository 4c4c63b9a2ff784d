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

    // An existing claim is kept as it is: it holds the volume's data, and its size is the cluster's business once bound.
    private async Task EnsureClaimsAsync(string project, ServiceSpec service, CancellationToken cancellationToken)
    {
        foreach (var claim in MountedVolumes.Claims(project, service))
        {
            try
            {
                await api.SendAsync<JsonElement>(HttpMethod.Post, $"/api/v1/namespaces/{claim.Metadata.Namespace}/persistentvolumeclaims", claim, cancellationToken).ConfigureAwait(false);
            }
            catch (KubeApiException e) when (e.Code == 409 && e.Reason == "AlreadyExists")
            {
                // Made by an earlier up, or by another service of the project sharing the volume.
            }
        }
    }
}
