using Docker.DotNet.Models;
using Nanokit.Core.Model;
using Nanokit.Runtime;

namespace Nanokit.Providers.Docker;

// Start-first updates (deploy.update_config.order: start-first). The replacement runs beside the old replica under the
// slot's successor name (ContainerDefinition.SuccessorName) until it is ready: healthy, or running when it has no
// healthcheck. Only then is the old replica stopped and removed, and the replacement renamed to the slot's name, so the
// slot always has a running container. Each step shows in the daemon, so a crash anywhere leaves a state the slot's next
// CreateAsync finishes: a running successor of the wanted config takes over, any other successor is removed.
public sealed partial class DockerRuntime
{
    private async Task<ObservedReplica> ReplaceStartFirstAsync(ReplicaSpec replica, ContainerInspectResponse current, CancellationToken cancellationToken)
    {
        var request = Definition(replica, successorOf: current.ID);
        var name = ContainerDefinition.SuccessorName(replica.Id);
        try
        {
            await RunContainerAsync(replica.Project, replica.Service, name, request, cancellationToken, cancellationToken).ConfigureAwait(false);
            await RunPostStartAsync(replica.Service, name, cancellationToken).ConfigureAwait(false);
        }
        catch (DockerException e) when (!e.Unreachable)
        {
            // A host port the old replica publishes is the usual cause: start-first cannot work with one (as in Compose).
            throw new DockerException(e.StatusCode, $"start-first update: the replacement did not start: {e.Message}; the old container keeps running", e);
        }

        var successor = await InspectAsync(name, cancellationToken).ConfigureAwait(false)
                        ?? throw new DockerException(404, "start-first update: the replacement vanished right after it was started");
        return await TakeOverAsync(replica.Id, successor, current, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Waits until <paramref name="successor"/> is ready, then removes <paramref name="current"/> (if any) and gives the
    /// successor the slot's name. A successor that exits or turns unhealthy is removed and the current replica left running.
    /// </summary>
    private async Task<ObservedReplica> TakeOverAsync(ReplicaId id, ContainerInspectResponse successor, ContainerInspectResponse? current, CancellationToken cancellationToken)
    {
        try
        {
            await WaitUntilReadyAsync(successor.ID, cancellationToken).ConfigureAwait(false);
        }
        catch (DockerException e) when (!e.Unreachable)
        {
            await RemoveAsync(successor.ID, stopFirst: true, cancellationToken).ConfigureAwait(false);
            var kept = current is null ? "" : " and the old container keeps running";
            throw new DockerException(e.StatusCode, $"start-first update: {e.Message}; the replacement was removed{kept}", e);
        }
        catch (OperationCanceledException)
        {
            await RemoveQuietlyAsync(successor.ID).ConfigureAwait(false);
            throw;
        }

        if (current is not null)
        {
            await RunPreStopAsync(current, cancellationToken).ConfigureAwait(false);
            await RemoveAsync(current.ID, stopFirst: true, cancellationToken).ConfigureAwait(false);
        }

        var fixedName = successor.Config?.Labels?.ValueOf(ContainerDefinition.FixedName);
        await _engine.CallAsync(
            (client, token) => client.Containers.RenameContainerAsync(successor.ID, new ContainerRenameParameters { NewName = fixedName ?? ContainerDefinition.ContainerName(id) }, token),
            cancellationToken).ConfigureAwait(false);
        Remember(id, fixedName);
        return await ObserveContainerAsync(successor.ID, cancellationToken).ConfigureAwait(false);
    }

    private async Task WaitUntilReadyAsync(string container, CancellationToken cancellationToken)
    {
        var (state, _) = await WaitForVerdictAsync(container, probe: false, cancellationToken).ConfigureAwait(false);
        if (!state.Running)
        {
            throw new DockerException(500, $"the replacement exited with code {state.ExitCode} before it was ready");
        }

        if (state.Health?.Status == "unhealthy")
        {
            throw new DockerException(500, "the replacement turned unhealthy" + LastCheck(state.Health));
        }
    }

    private static string LastCheck(Health health)
    {
        if (health.Log is not { Count: > 0 } log)
        {
            return "";
        }

        var last = log[^1];
        var output = (last.Output ?? "").Trim();
        if (output.Length > 200)
        {
            output = output[..200] + "...";
        }

        return output.Length == 0 ? $" (last check: exit {last.ExitCode})" : $" (last check: exit {last.ExitCode}: {output})";
    }
}
