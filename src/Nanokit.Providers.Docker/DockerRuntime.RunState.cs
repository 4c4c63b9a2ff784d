using Docker.DotNet.Models;
using Nanokit.Runtime;

namespace Nanokit.Providers.Docker;

// nkapp stop on Docker: the container is stopped and kept (docker compose stop), so start runs it again as it was; its
// pre_stop hooks run first, as Compose runs them before any stop.
public sealed partial class DockerRuntime
{
    /// <summary>SIGTERM (the image's stop signal), then SIGKILL after <paramref name="stopTimeout"/> (<c>-t</c>), else its stop_grace_period; a missing container is stopped enough.</summary>
    public async Task StopAsync(ReplicaId replica, TimeSpan? stopTimeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(replica);
        using var slot = await LockAsync(ContainerDefinition.ContainerName(replica), cancellationToken).ConfigureAwait(false);
        var name = SlotName(replica);
        try
        {
            await RunPreStopAsync(await InspectAsync(name, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
            await _engine.CallAsync((client, token) => client.Containers.StopContainerAsync(name, StopParameters(stopTimeout), token), cancellationToken).ConfigureAwait(false);
        }
        catch (DockerException e) when (e.StatusCode == 404)
        {
            // Gone: nothing runs in the slot.
        }
        catch (DockerException e)
        {
            throw Failure(replica, e, "stop: " + e.Message);
        }
    }
}
