using Docker.DotNet.Models;
using Nanokit.Core.Model;
using Nanokit.Runtime;

namespace Nanokit.Providers.Docker;

// Getting ahead of the plan (IRuntimeProvider.PrepareAsync). While a run's first layers start and become ready, the replicas
// of its later layers get their images (each pulled once, all at the same time) and volumes, and are created, unstarted, in
// the order they will be needed, a few at a time (DockerRuntimeOptions.PrepareConcurrency) and each after the starts in flight
// (DockerRuntime.Starts.cs), so that the daemon keeps serving the layer being started. Their turn then costs a start.
// Nothing of this is state of ours. A prepared replica is a container in the slot's name, with the replica's labels, that
// never ran (State.Status "created"): it is observed as Missing, and the slot's next create starts it when it is complete and
// has the config hash wanted, or replaces it otherwise. A crash at any point therefore leaves nothing a later run could
// duplicate or mistake for a running replica.
public sealed partial class DockerRuntime
{
    public async Task PrepareAsync(IReadOnlyList<ReplicaSpec> replicas, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(replicas);
        var images = new Dictionary<(string?, PullPolicy, string?), Task<bool>>();
        var services = new Dictionary<(string, string), Task<bool>>();
        foreach (var replica in replicas)
        {
            var service = replica.Service;
            if (!services.ContainsKey((replica.Project.Name, service.Name)))
            {
                Task<bool> image;
                if (service.Build is not null)
                {
                    image = QuietlyAsync(() => EnsureBuiltAsync(replica.Project, service, progress: null, cancellationToken));
                }
                else
                {
                    var key = (service.Image, service.PullPolicy, service.Container.Platform);
                    if (!images.TryGetValue(key, out var pulled))
                    {
                        images[key] = pulled = QuietlyAsync(() => EnsureImageAsync(service, progress: null, cancellationToken));
                    }

                    image = pulled;
                }

                services[(replica.Project.Name, service.Name)] = ThenAsync(image, () => EnsureVolumesAsync(replica.Project, service, cancellationToken));
            }
        }

        using var slots = new SemaphoreSlim(_options.PrepareConcurrency, _options.PrepareConcurrency);
        await Task.WhenAll(replicas.Select(async replica =>
        {
            if (!await services[(replica.Project.Name, replica.Service.Name)].ConfigureAwait(false) || !CanCreateAhead(replica.Service))
            {
                return;
            }

            // Entered in the order given, so the replicas needed first are created first; after the starts in flight.
            await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await AfterStartsInFlightAsync(cancellationToken).ConfigureAwait(false);
                await CreateAheadAsync(replica, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                slots.Release();
            }
        })).ConfigureAwait(false);

        async Task<bool> ThenAsync(Task<bool> first, Func<Task> next) => await first.ConfigureAwait(false) && await QuietlyAsync(next).ConfigureAwait(false);
    }

    /// <summary>Creates the replica's container, unstarted, unless something already holds its slot (then its create decides).</summary>
    private async Task CreateAheadAsync(ReplicaSpec replica, CancellationToken cancellationToken)
    {
        var id = replica.Id;
        var name = ContainerDefinition.ContainerName(id);
        using var slot = await LockAsync(name, cancellationToken).ConfigureAwait(false);
        await QuietlyAsync(async () =>
        {
            if (await InspectAsync(name, cancellationToken).ConfigureAwait(false) is not null
                || await InspectAsync(ContainerDefinition.SuccessorName(id), cancellationToken).ConfigureAwait(false) is not null)
            {
                return;
            }

            var request = Definition(replica);
            try
            {
                await CreateContainerAsync(id.Project, replica.Service, name, request, cancellationToken, cancellationToken).ConfigureAwait(false);
            }
            catch (DockerException)
            {
                // Half made (a network not joined): not worth keeping; the create in the replica's turn reports what is wrong.
                await RemoveQuietlyAsync(name).ConfigureAwait(false);
            }
        }).ConfigureAwait(false);
    }

    /// <summary>
    /// Starts a prepared container that is the replica wanted: true when it now runs; false when there is none, or it was
    /// another definition or incomplete (then it is removed) or did not start (removed too: a fresh create says why).
    /// </summary>
    private async Task<bool> StartPreparedAsync(ReplicaSpec replica, ContainerInspectResponse? existing, CancellationToken cancellationToken)
    {
        if (existing is not { State.Status: "created" })
        {
            return false;
        }

        var joined = existing.NetworkSettings?.Networks?.Keys ?? [];
        var complete = existing.Config?.Labels?.ValueOf(ContainerDefinition.ConfigHash) == replica.ConfigHash
            && ContainerDefinition.Networks(replica.Project.Name, replica.Service).All(n => joined.Contains(n.Name));
        if (complete)
        {
            try
            {
                await StartContainerAsync(existing.ID, cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (DockerException)
            {
                // Falls through to a fresh create and start, whose error is the one to report.
            }
        }

        await RemoveQuietlyAsync(existing.ID).ConfigureAwait(false);
        return false;
    }

    /// <summary>
    /// Whether a replica can exist before its turn: not when a prestart hook must run before it is made, nor when it
    /// shares another container's namespaces (that container may not exist yet), nor under a container_name (the name is
    /// claimed, and checked against foreign containers, by the replica's own create).
    /// </summary>
    private static bool CanCreateAhead(ServiceSpec service) =>
        service.Hooks.For(HookKind.Prestart) is null
        && service.Container.ContainerName is null
        && !new[] { service.NetworkMode, service.Container.Pid, service.Container.Ipc }.Any(mode =>
            mode is not null && (mode.StartsWith("container:", StringComparison.Ordinal) || mode.StartsWith("service:", StringComparison.Ordinal)));

    /// <summary>A step of preparing: true when it succeeded; any failure but cancellation is left to the replica's own create.</summary>
    private static async Task<bool> QuietlyAsync(Func<Task> step)
    {
        try
        {
            await step().ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is not (OperationCanceledException or OutOfMemoryException))
        {
            return false;
        }
    }
}
