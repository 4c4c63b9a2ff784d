using System.Collections.Concurrent;
using System.Globalization;
using Docker.DotNet.Models;
using Nanokit.Core.Model;
using Nanokit.Runtime;

namespace Nanokit.Providers.Docker;

// Compose's container_name (see ContainerDefinition.FixedName). Calls that get a replica's id only (readiness, logs, delete,
// hooks) address its container through SlotName: the container_name learned when this runtime created or observed the
// replica — the reconciler observes before it plans, so a down from a new process knows the names too — else the slot's name.
public sealed partial class DockerRuntime
{
    private readonly ConcurrentDictionary<string, string> _fixedNames = new(StringComparer.Ordinal);

    private string SlotName(ReplicaId id)
    {
        var slot = ContainerDefinition.ContainerName(id);
        return _fixedNames.TryGetValue(slot, out var fixedName) ? fixedName : slot;
    }

    private void Remember(ReplicaId id, string? fixedName)
    {
        var slot = ContainerDefinition.ContainerName(id);
        if (fixedName is null)
        {
            _fixedNames.TryRemove(slot, out _);
        }
        else
        {
            _fixedNames[slot] = fixedName;
        }
    }

    private void Remember(ProjectRef project, ObservedReplica replica, ContainerInspectResponse container) =>
        Remember(new ReplicaId(project, replica.Service, replica.Replica), container.Config?.Labels?.ValueOf(ContainerDefinition.FixedName));

    /// <summary>
    /// The container holding the slot a create is about to fill under <paramref name="wanted"/>, after checking that no other
    /// container has that name: a foreign one fails the create before anything is pulled, stopped or removed, as Compose's
    /// "name already in use" does, but naming the service and the name.
    /// </summary>
    private async Task<ContainerInspectResponse?> SlotHolderAsync(ReplicaSpec replica, string wanted, CancellationToken cancellationToken)
    {
        var id = replica.Id;
        var current = SlotName(id);
        var holder = await InspectAsync(current, cancellationToken).ConfigureAwait(false);
        if (holder is not null && !Holds(holder, id))
        {
            if (current == wanted)
            {
                throw NameTaken(replica, holder);
            }

            holder = null;
        }

        if (wanted != current && await InspectAsync(wanted, cancellationToken).ConfigureAwait(false) is { } occupant)
        {
            if (!Holds(occupant, id))
            {
                throw NameTaken(replica, occupant);
            }

            holder = occupant;
        }

        return holder;
    }

    private static bool Holds(ContainerInspectResponse container, ReplicaId id) =>
        container.Config?.Labels is { } labels
        && labels.ValueOf(ContainerDefinition.Project) == id.Project.Name
        && labels.ValueOf(ContainerDefinition.Service) == id.Service
        && labels.ValueOf(ContainerDefinition.Replica) == id.Replica.ToString(CultureInfo.InvariantCulture)
        && HoldsSlot(container.Name, labels);

    private static DockerException NameTaken(ReplicaSpec replica, ContainerInspectResponse occupant)
    {
        var labels = occupant.Config?.Labels;
        var owner = labels?.ValueOf(ContainerDefinition.Project) is { } project
            ? $" (project \"{project}\", service \"{labels.ValueOf(ContainerDefinition.Service)}\")"
            : " (not managed by Nanokit)";
        return new DockerException(409,
            $"container_name \"{ContainerDefinition.NameFor(replica)}\" of service \"{replica.Service.Name}\" is already used by container {occupant.ID[..Math.Min(12, occupant.ID.Length)]}{owner}; remove or rename that container, or change container_name — nothing was changed");
    }
}
