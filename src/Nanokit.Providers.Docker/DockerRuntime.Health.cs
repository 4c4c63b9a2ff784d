using Docker.DotNet.Models;
using Nanokit.Runtime;

namespace Nanokit.Providers.Docker;

// Health gating driven by the daemon's events: a waiter subscribes to the container's health_status, die and destroy
// events, inspects, and inspects again only when one arrives, instead of polling the daemon every 100 ms per replica.
// Beside it, the container's own healthcheck runs by exec until it passes (DockerRuntime.Readiness.cs), which wakes the
// waiter the same way an event does.
public sealed partial class DockerRuntime
{
    // A missed event cannot leave a waiter stuck: it looks again this often anyway.
    private static readonly TimeSpan EventSilenceRecheck = TimeSpan.FromSeconds(5);

    public async Task<HealthStatus> WaitForHealthAsync(ReplicaId replica, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(replica);
        try
        {
            var (state, ready) = await WaitForVerdictAsync(SlotName(replica), probe: true, cancellationToken).ConfigureAwait(false);
            if (!state.Running)
            {
                throw new DockerException(409, $"the container exited with code {state.ExitCode} before it became healthy");
            }

            return ready ? HealthStatus.Healthy : state.Health?.Status switch
            {
                null or "" or "none" => HealthStatus.None,
                "healthy" => HealthStatus.Healthy,
                _ => HealthStatus.Unhealthy,
            };
        }
        catch (DockerException e)
        {
            throw Failure(replica, e);
        }
    }

    /// <summary>
    /// The container's state once it is decided: not running, healthy, unhealthy, or running without a healthcheck; or
    /// still running with <c>Ready</c> when Nanokit's own run of its healthcheck passed before the daemon's did (only with
    /// <paramref name="probe"/>: a replica gating its dependents is probed; a start-first replacement is swapped in on the
    /// daemon's verdict alone, as before).
    /// The event stream is opened with <c>since</c> a second back and before the first inspect, so an event between the
    /// two is replayed rather than lost. A stream the daemon closes (it is going away) is an unreachable daemon.
    /// </summary>
    private async Task<(State State, bool Ready)> WaitForVerdictAsync(string container, bool probe, CancellationToken cancellationToken)
    {
        var parameters = new ContainerEventsParameters
        {
            Since = DateTimeOffset.UtcNow.AddSeconds(-1).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
            Filters = DockerEngine.Filters(("type", "container"), ("container", container), ("event", "health_status"), ("event", "die"), ("event", "destroy")),
        };
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var arrived = new SemaphoreSlim(0);
        var closed = false;
        var ready = false;
        var pump = PumpAsync();
        Task? probing = null;
        try
        {
            while (true)
            {
                var inspected = await InspectAsync(container, cancellationToken).ConfigureAwait(false);
                if (inspected?.State is not { } state)
                {
                    throw new DockerException(404, "the container is gone (removed while waiting for it)");
                }

                if (!state.Running || state.Health?.Status is null or "" or "none" or "healthy" or "unhealthy")
                {
                    return (state, false);
                }

                if (Volatile.Read(ref ready))
                {
                    return (state, true);
                }

                if (probe && probing is null && inspected.Config?.Healthcheck is { } check)
                {
                    probing = ProbeUntilReadyAsync(container, check, () =>
                    {
                        Volatile.Write(ref ready, true);
                        arrived.Release();
                    }, stop.Token);
                }

                await arrived.WaitAsync(EventSilenceRecheck, cancellationToken).ConfigureAwait(false);

                // A cancelled wait also ends the event stream (its token is linked), and the pump's release can win the
                // race with the cancellation: the caller asked to stop, which is not a daemon going away.
                cancellationToken.ThrowIfCancellationRequested();
                if (Volatile.Read(ref closed))
                {
                    throw new DockerException(0, $"the Docker daemon at {_engine.Endpoint} closed its event stream (is it restarting?)");
                }
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await pump.ConfigureAwait(false);
            if (probing is not null)
            {
                await probing.ConfigureAwait(false);
            }
        }

        async Task PumpAsync()
        {
            try
            {
                await _engine.CallAsync(
                    (client, token) => client.System.MonitorEventsAsync(parameters, new DockerEngine.Callback<Message>(_ => arrived.Release()), token),
                    stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // The daemon went away (a refused connection, a truncated line), or the wait is over: either way the
                // stream has nothing more to say, and the waiter hears it is closed.
            }

            Volatile.Write(ref closed, true);
            arrived.Release();
        }
    }

    /// <summary>A failed Docker call as the reconciler sees it: naming the replica, and transient when the daemon could not be reached.</summary>
    private static RuntimeException Failure(ReplicaId replica, DockerException e, string? cause = null) =>
        new(ProviderName, replica, cause ?? e.Message, e) { Transient = e.Unreachable };

    private static RuntimeException Failure(string project, string service, DockerException e, string? cause = null) =>
        new(ProviderName, project, service, null, cause ?? e.Message, e) { Transient = e.Unreachable };
}
