using Nanokit.Core.Model;
using Nanokit.Runtime;

namespace Nanokit.Providers.Docker;

// Compose's container_name. The replica keeps its slot (project, service, replica labels; locks and start-first successors
// keep the slot's own name) and only the container's name changes, recorded in a label so discovery knows it holds the slot.
internal static partial class ContainerDefinition
{
    /// <summary>On a replica whose service sets <c>container_name</c>: that name, which the container holds instead of the slot's.</summary>
    public const string FixedName = "io.nanokit.container-name";

    /// <summary>The name a replica's container gets: the service's <c>container_name</c>, or the slot's name.</summary>
    public static string NameFor(ReplicaSpec replica) => replica.Service.Container.ContainerName ?? ContainerName(replica.Id);
}
