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
// Starts come first: a probe that falls due while containers are being started waits until the starts already in flight
// have been answered (DockerRuntime.Starts.cs). Each exec is a process the daemon spawns like a start's, and a layer of
// dependents can go on only once its slowest replica has started and is ready, so an early probe of one replica bought
// nothing but a later start of another.
// The healthcheck's timeout is the test's own time: a test the daemon has not even begun when it runs out is waited for
// (at most ProbeLateStarts more timeouts), and one found exited 0 when it runs out passed. On a loaded daemon spawning the
// exec alone can take longer than a 1 s timeout, and a probe that saw the service ready would be thrown away.
public sealed partial class DockerRuntime
{
    // Docker's own default when a healthcheck names no timeout.
    private static readonly TimeSpan DefaultProbeTimeout = TimeSpan.FromSeconds(30);

    // How many more timeouts a probe waits for a test the daemon has not started yet, before it counts as not passed.
    private const int ProbeLateStarts = 3;

    // How often a probe whose output has ended asks whether the daemon has recorded the test's exit.
    private static readonly TimeSpan ExitRecordedPoll = TimeSpan.FromMilliseconds(20);

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
            await AfterStartsInFlightAsync(cancellationToken).ConfigureAwait(false);
            await _readinessSlots.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                using var span = DockerTelemetry.Source.StartActivity("docker.probe");
                span?.SetTag("nanokit.container", container);
                var passed = await ExecProbeAsync(container, command, timeout, cancellationToken).ConfigureAwait(false);
                span?.SetTag("nanokit.passed", passed);
                return passed;
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
            using var reading = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            using var stream = await _engine.CallAsync(
                (client, token) => client.Exec.StartContainerExecAsync(exec.ID, new ContainerExecStartParameters(), token), cancellationToken).ConfigureAwait(false);
            var drained = LogLines.DrainAsync(stream, reading.Token);
            for (var late = 0; ; late++)
            {
                try
                {
                    await drained.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
                    return await ExitCodeAsync(exec.ID, timeout, cancellationToken).ConfigureAwait(false) == 0;
                }
                catch (TimeoutException)
                {
                    // The healthcheck's timeout ran out: what the test is doing now decides.
                }

                var now = await InspectExecAsync(exec.ID, cancellationToken).ConfigureAwait(false);
                if (now is { Running: true, Pid: > 0 } && HostProcessGone((int)now.Pid))
                {
                    // The test is over; the daemon has not recorded it yet (on a loaded daemon that took seconds, and a test
                    // that had exited 0 was killed for it). Its exit code, once recorded, decides.
                    now = new ContainerExecInspectResponse { Running = false, Pid = now.Pid, ExitCode = await ExitCodeAsync(exec.ID, timeout, cancellationToken).ConfigureAwait(false) ?? -1 };
                }

                var verdict = AtProbeTimeout(now, late);
                if (verdict == ProbeAtTimeout.NotStartedYet)
                {
                    continue;
                }

                if (verdict == ProbeAtTimeout.TooSlow && now is { Running: true, Pid: > 0 })
                {
                    // Past the healthcheck's timeout: not a success, and it must not go on running in the container.
                    KillHostProcess((int)now.Pid);
                }

                await reading.CancelAsync().ConfigureAwait(false);
                try
                {
                    await drained.ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // The output of a test that is over or was killed: nothing more to read.
                }

                return verdict == ProbeAtTimeout.Passed;
            }
        }
        catch (DockerException)
        {
            // Not running (409), gone (404), the daemon away: none is a success, and the waiter hears of each from the daemon.
            return false;
        }
    }

    /// <summary>
    /// The exit code of an exec whose output has ended, once the daemon has recorded its exit; null when that takes longer
    /// than <paramref name="patience"/>. The output ends when the test closes it, a moment before the daemon hears that it
    /// exited, and until then the exec reads as running: on a loaded daemon that moment is long enough that probes which
    /// had passed (exit 0 in the daemon's events) were counted as failed.
    /// </summary>
    private async Task<long?> ExitCodeAsync(string exec, TimeSpan patience, CancellationToken cancellationToken)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var state = await InspectExecAsync(exec, cancellationToken).ConfigureAwait(false);
            if (state is { Running: false, Pid: > 0 })
            {
                return state.ExitCode;
            }

            if (state is null || clock.Elapsed >= patience)
            {
                return null;
            }

            await Task.Delay(ExitRecordedPoll, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Whether a process of the daemon's host has ended (or is a zombie): false while it runs. A remote daemon's process is
    /// not in this /proc either; such a test then gets one more timeout for the daemon to record its exit.
    /// </summary>
    private static bool HostProcessGone(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat.LastIndexOf(')') is var end and > 0 && end + 2 < stat.Length && stat[end + 2] == 'Z';
        }
        catch (IOException)
        {
            return true;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    private Task<ContainerExecInspectResponse?> InspectExecAsync(string exec, CancellationToken cancellationToken) =>
        _engine.FindAsync((client, token) => client.Exec.InspectContainerExecAsync(exec, token), cancellationToken);

    internal enum ProbeAtTimeout
    {
        /// <summary>It ran and exited 0: it passed, whatever the clock says about the daemon's answer.</summary>
        Passed,

        /// <summary>The daemon has not begun the test (no process yet): the test's own time has not started.</summary>
        NotStartedYet,

        /// <summary>Still running, failed, or not begun after every allowance: not a success.</summary>
        TooSlow,
    }

    /// <summary>
    /// What a probe is when its healthcheck's timeout runs out: <paramref name="state"/> is the exec as the daemon reports it
    /// then, <paramref name="late"/> how many timeouts were already allowed because the test had not begun.
    /// </summary>
    internal static ProbeAtTimeout AtProbeTimeout(ContainerExecInspectResponse? state, int late) => state switch
    {
        { Running: false, Pid: > 0, ExitCode: 0 } => ProbeAtTimeout.Passed,
        { Running: false, Pid: 0 } when late < ProbeLateStarts => ProbeAtTimeout.NotStartedYet,
        _ => ProbeAtTimeout.TooSlow,
    };

    /// <summary>The process a healthcheck test runs, as the daemon runs it on Linux; null for NONE or no test.</summary>
    internal static IList<string>? ProbeCommand(IList<string>? test) => test switch
    {
        ["CMD", _, ..] => [.. test.Skip(1)],
        ["CMD-SHELL", var script] => ["/bin/sh", "-c", script],
        _ => null,
    };
}
