using Nanokit.Core.Model;
using Nanokit.Runtime;

namespace Nanokit.Providers.Docker;

// nkapp pull: the service's image fetched now, whatever its pull_policy says, as docker compose pull does.
public sealed partial class DockerRuntime
{
    /// <summary>
    /// Pulls <paramref name="service"/>'s image; <paramref name="progress"/> hears the pull's one-line summary as it goes.
    /// A service that builds its image has nothing to pull: the caller skips it.
    /// </summary>
    public async Task PullImageAsync(ProjectRef project, ServiceSpec service, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(service);
        if (string.IsNullOrEmpty(service.Image))
        {
            throw new RuntimeException(ProviderName, project.Name, service.Name, null, "no 'image' to pull");
        }

        try
        {
            await PullAsync(service.Image, service.Container.Platform, progress, cancellationToken).ConfigureAwait(false);
        }
        catch (DockerException e)
        {
            throw Failure(project.Name, service.Name, e);
        }
    }
}
