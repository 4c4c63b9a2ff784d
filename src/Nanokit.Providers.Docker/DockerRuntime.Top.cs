using Docker.DotNet.Models;
using Nanokit.Runtime;

namespace Nanokit.Providers.Docker;

// nkapp top on Docker: the Engine API's top call (docker top), which lists the container's processes as the host's ps sees them.
public sealed partial class DockerRuntime
{
    /// <summary>The processes of a running replica: the column titles, then one row per process; null when the replica is not running.</summary>
    public async Task<(IList<string> Titles, IList<IList<string>> Processes)?> TopAsync(ReplicaId replica, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(replica);
        var name = SlotName(replica);
        try
        {
            if (await InspectAsync(name, cancellationToken).ConfigureAwait(false) is not { State.Running: true })
            {
                return null;
            }

            var top = await _engine.CallAsync(
                (client, token) => client.Containers.ListProcessesAsync(name, new ContainerListProcessesParameters(), token), cancellationToken).ConfigureAwait(false);
            return (top.Titles ?? [], top.Processes ?? []);
        }
        catch (DockerException e) when (e.StatusCode == 409)
        {
            // Stopped between the inspect and the call.
            return null;
        }
        catch (DockerException e)
        {
            throw Failure(replica, e, "top: " + e.Message);
        }
    }
}
