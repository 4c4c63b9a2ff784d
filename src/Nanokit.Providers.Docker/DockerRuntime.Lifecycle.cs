using Docker.DotNet.Models;
using Nanokit.Core.Model;

namespace Nanokit.Providers.Docker;

// Compose's post_start and pre_stop, run through the exec API in the replica's own container, in order, as Compose does:
// post_start right after the container starts (before any readiness wait: Compose does not wait for health either),
// pre_stop before a running replica is stopped for a delete, a recreate or a start-first takeover. A hook that exits
// non-zero fails the step, naming the hook and its status, as `docker compose up` fails. A replica whose post_start
// failed is stopped, so the step's retry recreates it and runs the hook again rather than keeping it as converged.
// pre_stop hooks come from the container's applied-definition label: a delete knows the replica's id only.
public sealed partial class DockerRuntime
{
    private async Task RunPostStartAsync(ServiceSpec service, string container, CancellationToken cancellationToken)
    {
        try
        {
            foreach (var hook in service.Container.PostStart)
            {
                await RunLifecycleHookAsync(service, "post_start", hook, container, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException || e is DockerException { Unreachable: false })
        {
            await StopNowAsync(container).ConfigureAwait(false);
            throw;
        }
    }

    private async Task RunPreStopAsync(ContainerInspectResponse? container, CancellationToken cancellationToken)
    {
        if (container is not { State.Running: true }
            || ContainerDefinition.Deserialize(container.Config?.Labels?.ValueOf(ContainerDefinition.Applied)) is not { } applied)
        {
            return;
        }

        foreach (var hook in applied.Container.PreStop)
        {
            try
            {
                await RunLifecycleHookAsync(applied, "pre_stop", hook, container.ID, cancellationToken).ConfigureAwait(false);
            }
            catch (DockerException e) when (e.StatusCode is 404 or 409)
            {
                // Stopped or removed meanwhile: Compose skips the hooks then too.
                return;
            }
        }
    }

    private async Task RunLifecycleHookAsync(ServiceSpec service, string key, LifecycleHook hook, string container, CancellationToken cancellationToken)
    {
        var exec = ContainerDefinition.ForLifecycleHook(service, hook);
        var (exitCode, output, timedOut) = await ExecAsync(container, exec, LifecycleHook.Timeout, cancellationToken).ConfigureAwait(false);
        var what = $"{key} hook \"{string.Join(' ', hook.Command)}\"";
        var tail = output.Trim() is { Length: > 0 } text ? ": " + text : "";
        if (timedOut)
        {
            throw new DockerException(500, $"{what} ran past {LifecycleHook.Timeout.TotalSeconds:0}s and was stopped{tail}");
        }

        if (exitCode != 0)
        {
            throw new DockerException(500, $"{what} exited with status {exitCode}{tail}");
        }
    }

    /// <summary>Kills a container whose step failed, keeping the step's error as the one to report.</summary>
    private async Task StopNowAsync(string container)
    {
        try
        {
            await _engine.CallAsync(
                (client, token) => client.Containers.StopContainerAsync(container, new ContainerStopParameters { WaitBeforeKillSeconds = 0 }, token),
                CancellationToken.None).ConfigureAwait(false);
        }
        catch (DockerException)
        {
            // Gone or the daemon cannot stop it: the slot's next create replaces it either way.
        }
    }
}
