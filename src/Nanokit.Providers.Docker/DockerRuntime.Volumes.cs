using Docker.DotNet.Models;
using Nanokit.Core.Model;
using Nanokit.Runtime;

namespace Nanokit.Providers.Docker;

// nkapp down -v and --rmi, as docker compose down takes them: after the replicas are gone, the project's named volumes
// (only those Nanokit created, found by their project label, so an `external` volume is never touched) and its images.
public sealed partial class DockerRuntime
{
    /// <summary>Removes the named volumes Nanokit created for <paramref name="project"/>; returns their names. A volume still in use fails.</summary>
    public async Task<IReadOnlyList<string>> RemoveVolumesAsync(ProjectRef project, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(project);
        try
        {
            var list = await _engine.CallAsync(
                (client, token) => client.Volumes.ListAsync(
                    new VolumesListParameters { Filters = DockerEngine.Filters(("label", ContainerDefinition.Project + "=" + project.Name), ("label", ContainerDefinition.Volume)) }, token),
                cancellationToken).ConfigureAwait(false);
            var removed = new List<string>();
            foreach (var volume in (list.Volumes ?? []).OrderBy(v => v.Name, StringComparer.Ordinal))
            {
                try
                {
                    await _engine.CallAsync((client, token) => client.Volumes.RemoveAsync(volume.Name, force: false, token), cancellationToken).ConfigureAwait(false);
                    removed.Add(volume.Name);
                }
                catch (DockerException e) when (e.StatusCode == 404)
                {
                    // Removed meanwhile.
                }
            }

            return removed;
        }
        catch (DockerException e)
        {
            throw Failure(project.Name, "*", e, "removing volumes: " + e.Message);
        }
    }

    /// <summary>
    /// Removes the services' images (<paramref name="all"/>), or only those without a name of the user's, the ones Nanokit
    /// named for a build (<c>local</c>); returns the names removed. An image absent, or still used by another container, is left.
    /// </summary>
    public async Task<IReadOnlyList<string>> RemoveImagesAsync(ProjectRef project, IEnumerable<ServiceSpec> services, bool all, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(services);
        var removed = new List<string>();
        foreach (var image in services.Where(s => all || string.IsNullOrEmpty(s.Image)).Select(s => ContainerDefinition.ImageOf(project.Name, s)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            try
            {
                await _engine.CallAsync((client, token) => client.Images.DeleteImageAsync(image, new ImageDeleteParameters(), token), cancellationToken).ConfigureAwait(false);
                removed.Add(image);
            }
            catch (DockerException e) when (e.StatusCode is 404 or 409)
            {
                // Not there, or another container uses it (docker compose down --rmi leaves it too).
            }
            catch (DockerException e)
            {
                throw Failure(project.Name, "*", e, $"removing image {image}: " + e.Message);
            }
        }

        return removed;
    }
}
