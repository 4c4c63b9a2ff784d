using System.Collections.Concurrent;
using Docker.DotNet.Models;

namespace Nanokit.Providers.Docker;

// Active readiness. The daemon runs a container's first health probe only `interval` after start (10-30 s in the Compose
// files people publish), so a dependent gated on health waits for the schedule, not for the service. While a replica is
// waited for, Nanokit runs the container's own healthcheck test itself, by exec, right away and then at a backed-off
// cadence (DockerRuntimeOptions.ReadinessProbe*). Only a success counts: the first probe that exits 0 within the
// healthcheck's timeout opens the gate. A failure means nothing here; the replica is unhealthy only when the daemon says so
// (its retries and start_period) or it exits, so these probes can make readiness earlier, never failure. The daemon's own
// health status stays what observation and status read. One probe in flight per replica, and a runtime-wide cap on probes
// running at once; the probing ends with the wait it serves.
public sealed partial class DockerRuntime
{
    // Docker's own default when a healthcheck names no timeout.
    private static readonly TimeSpan DefaultProbeTimeout = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, SemaphoreSlim> _probing = new(StringComparer.Ordinal);

    /// <summary>
    /// Probes <paramref name="container"/> with its healthcheck until one probe passes, then calls <paramref name="onReady"/>
    /// once; returns when that happens or when <paramref name="cancellationToken"/> ends the wait.
    /// </summary>
    private async Task ProbeUntilReadyAsync(string container, HealthcheckConfig check, Action onReady, CancellationToken cancellationToken)
    {
        if (ProbeCommand(check.Test) is not { } command)
        {
            return;
        }

        var timeout = check.Timeout is { } given && given > TimeSpan.Zero ? given : DefaultProbeTimeout;
        var delay = TimeSpan.Zero;
        var replicaSlot = _probing.GetOrAdd(container, static _ => new SemaphoreSlim(1, 1));
        try
        {
            while (true)
            {
                if (delay > TimeSpan.Zero)
                {
                    await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                }

                delay = delay == TimeSpan.Zero
                    ? _options.ReadinessProbeFirstDelay
                    : TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.ReadinessProbeMaxDelay.Ticks));
                if (await ProbeOnceAsync(container, command, timeout, replicaSlot, cancellationToken).ConfigureAwait(false))
                {
                    onReady();
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The wait is over: so is the probing.
        }
    }

    /// <summary>One run of the test in the container: true when it exited 0 within <paramref name="timeout"/>.</summary>
    private async Task<bool> ProbeOnceAsync(string container, IList<string> command, TimeSpan timeout, SemaphoreSlim replicaSlot, CancellationToken cancellationToken)
    {
        await replicaSlot.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _readinessSlots.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return await ExecProbeAsync(container, command, timeout, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _readinessSlots.Release();
            }
        }
        finally
        {
            replicaSlot.Release();
        }
    }

    private async Task<bool> ExecProbeAsync(string container, IList<string> command, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            var exec = await _engine.CallAsync(
                (client, token) => client.Exec.CreateContainerExecAsync(
                    container, new ContainerExecCreateParameters { Cmd = command, AttachStdout = true, AttachStderr = true }, token),
                cancellationToken).ConfigureAwait(false);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(timeout);
            try
            {
                using var stream = await _engine.CallAsync(
                    (client, token) => client.Exec.StartContainerExecAsync(exec.ID, new ContainerExecStartParameters(), token), deadline.Token).ConfigureAwait(false);
                await LogLines.DrainAsync(stream, deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Past the healthcheck's timeout: not a success, and it must not go on running in the container.
                if (await _engine.FindAsync((client, token) => client.Exec.InspectContainerExecAsync(exec.ID, token), cancellationToken).ConfigureAwait(false)
                    is { Running: true, Pid: > 0 } late)
                {
                    KillHostProcess((int)late.Pid);
                }

                return false;
            }

            var state = await _engine.FindAsync((client, token) => client.Exec.InspectContainerExecAsync(exec.ID, token), cancellationToken).ConfigureAwait(false);
            return state is { Running: false, ExitCode: 0 };
        }
        catch (DockerException)
        {
            // Not running (409), gone (404), the daemon away: none is a success, and the waiter hears of each from the daemon.
            return false;
        }
    }

    /// <summary>The process a healthcheck test runs, as the daemon runs it on Linux; null for NONE or no test.</summary>
    internal static IList<string>? ProbeCommand(IList<string>? test) => test switch
    {
        ["CMD", _, ..] => [.. test.Skip(1)],
        ["CMD-SHELL", var script] => ["/bin/sh", "-c", script],
        _ => null,
    };
}
