using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Docker.DotNet.Models;

namespace Nanokit.Providers.Docker;

// Active readiness. The daemon runs a container's first health probe only `interval` after start (10-30 s in the Compose
// files people publish), so a dependent gated on health waits for the schedule, not for the service. While a replica is
// waited for, Nanokit runs the container's own healthcheck test itself: one exec per replica runs the test in a loop inside
// the container (ReadinessLoop), a short pause (DockerRuntimeOptions.ReadinessProbeInterval) after each failed run, and
// prints a line as each run begins and one when a run passes. Nanokit reads that output as it comes, so a pass is seen when
// it happens. (An exec per run, as before, cost a create, a start, a read to the end and inspects of the exec: 0.2-1.1 s
// each on a loaded daemon, most of the time from a service's readiness to its dependents' start.)
// Only a success counts: a run that exits 0 within the healthcheck's timeout, timed in the container, opens the gate. A
// failure means nothing here; the replica is unhealthy only when the daemon says so (its retries and start_period) or it
// exits, so this probing can make readiness earlier, never failure. A run that hangs ends its loop (which kills the run) and
// a new loop begins. The daemon's own health status stays what observation and status read. One loop per replica, and a
// runtime-wide cap on loops running at once.
// The loop lives as long as the exec's stdin: Nanokit closes it when the wait ends (a pass, the daemon's verdict, a
// cancelled up), and so does the daemon when Nanokit's connection drops (nkapp killed); the loop then kills the run in
// progress and ends, so nothing of it is left running in the container. It needs /bin/sh in the container, as CMD-SHELL
// tests do; without one the exec fails at once and the daemon's own probes decide, as they would without active readiness.
// Starts come first: a loop that falls due while containers are being started is created at once but started (its process
// spawned) once the starts already in flight have been answered (DockerRuntime.Starts.cs).
public sealed partial class DockerRuntime
{
    // Docker's own default when a healthcheck names no timeout.
    private static readonly TimeSpan DefaultProbeTimeout = TimeSpan.FromSeconds(30);

    // $1... is the test's argv, run as given: "$@" neither re-splits nor expands it, so a CMD test's arguments reach it
    // exactly as the daemon would pass them, and a CMD-SHELL test is its own `/bin/sh -c SCRIPT`. The container times each
    // run itself, because the lines can reach Nanokit in one burst: a `sleep` of the healthcheck's timeout ({0}, in seconds)
    // starts with it, and a run passes only if it exits 0 while that sleep is still there to be killed. The run goes in the
    // background so that the TERM sent when stdin closes interrupts `wait` and kills it. {1} is the pause, in seconds; a
    // sleep that cannot take fractions fails at once, and the loop then pauses a whole second rather than spin.
    private const string ReadinessLoop = """
        ( trap 'kill $run $timer 2>/dev/null; exit 1' TERM
          while :; do
            echo run
            sleep {0} & timer=$!
            "$@" >/dev/null 2>&1 </dev/null & run=$!
            if wait $run && kill $timer 2>/dev/null; then echo passed; exit 0; fi
            kill $timer 2>/dev/null
            sleep {1} || sleep 1
          done ) & read -r line; kill $! 2>/dev/null
        """;

    // A run that outlives its timeout is failed by the loop, which then waits for it to end: one that never ends (a hung
    // test) ends that loop after this many timeouts (the spare for the output's delivery), and another begins.
    private const int HungRunTimeouts = 2;

    // The loop's $0: how it reads in the container's process list.
    private const string ReadinessLoopName = "nanokit-readiness";

    private readonly ConcurrentDictionary<string, SemaphoreSlim> _probing = new(StringComparer.Ordinal);

    /// <summary>
    /// Runs <paramref name="container"/>'s healthcheck in a loop until a run passes, then calls <paramref name="onReady"/>
    /// once; returns when that happens, when a loop cannot run there, or when <paramref name="cancellationToken"/> ends the wait.
    /// </summary>
    private async Task ProbeUntilReadyAsync(string container, HealthcheckConfig check, Action onReady, CancellationToken cancellationToken)
    {
        if (ProbeCommand(check.Test) is not { } command)
        {
            return;
        }

        var timeout = check.Timeout is { } given && given > TimeSpan.Zero ? given : DefaultProbeTimeout;
        var replicaSlot = _probing.GetOrAdd(container, static _ => new SemaphoreSlim(1, 1));
        try
        {
            await replicaSlot.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await _readinessSlots.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    LoopOutcome outcome;
                    while ((outcome = await RunLoopAsync(container, command, timeout, cancellationToken).ConfigureAwait(false)) == LoopOutcome.TooSlow)
                    {
                        // A run hung: that loop is over, and the next begins at once.
                    }

                    if (outcome == LoopOutcome.Passed)
                    {
                        onReady();
                    }
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
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The wait is over: so is the loop (its stream is closed on the way out).
        }
    }

    private enum LoopOutcome
    {
        Passed,
        TooSlow,

        /// <summary>It ended without a pass: no shell in the container, the container stopped, or the daemon refused the exec.</summary>
        Ended,
    }

    /// <summary>One loop in the container, read until a run passes, a run hangs, or the loop ends.</summary>
    private async Task<LoopOutcome> RunLoopAsync(string container, IList<string> command, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var span = DockerTelemetry.Source.StartActivity("docker.probe");
        span?.SetTag("nanokit.container", container);
        var outcome = LoopOutcome.Ended;
        try
        {
            var loop = string.Format(CultureInfo.InvariantCulture, ReadinessLoop, timeout.TotalSeconds, _options.ReadinessProbeInterval.TotalSeconds);
            var exec = await _engine.CallAsync(
                (client, token) => client.Exec.CreateContainerExecAsync(
                    container,
                    new ContainerExecCreateParameters { Cmd = ["/bin/sh", "-c", loop, ReadinessLoopName, .. command], AttachStdin = true, AttachStdout = true, AttachStderr = true },
                    token),
                cancellationToken).ConfigureAwait(false);

            // Creating an exec spawns nothing; starting it does, so only the start yields to the container starts in flight.
            await AfterStartsInFlightAsync(cancellationToken).ConfigureAwait(false);
            var stream = await _engine.CallAsync(
                (client, token) => client.Exec.StartContainerExecAsync(exec.ID, new ContainerExecStartParameters(), token), cancellationToken).ConfigureAwait(false);
            using var reading = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var lines = LogLines.ReadAsync(stream, reading.Token).GetAsyncEnumerator(reading.Token);
            Task<bool>? next = null;
            try
            {
                Stopwatch? run = null;
                while (true)
                {
                    next = lines.MoveNextAsync().AsTask();
                    if (run is not null && !await Within(next, timeout * HungRunTimeouts - run.Elapsed, cancellationToken).ConfigureAwait(false))
                    {
                        outcome = LoopOutcome.TooSlow;
                        break;
                    }

                    if (!await next.ConfigureAwait(false))
                    {
                        break;
                    }

                    if (lines.Current == "run")
                    {
                        run = Stopwatch.StartNew();
                    }
                    else if (lines.Current == "passed")
                    {
                        outcome = LoopOutcome.Passed;
                        break;
                    }
                }
            }
            finally
            {
                // Its stdin closed, the loop ends and kills the run in progress. A read still pending ends with the stream.
                stream.CloseWrite();
                await reading.CancelAsync().ConfigureAwait(false);
                stream.Dispose();
                if (next is not null)
                {
                    await ((Task)next).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }
            }
        }
        catch (DockerException)
        {
            // Not running (409), gone (404), the daemon away: none is a success, and the waiter hears of each from the daemon.
        }
        catch (IOException)
        {
            // The daemon dropped the stream: the same.
        }

        span?.SetTag("nanokit.passed", outcome == LoopOutcome.Passed);
        return outcome;
    }

    /// <summary>Whether <paramref name="task"/> completes within <paramref name="limit"/> (none left: only if it already has).</summary>
    private static async Task<bool> Within(Task task, TimeSpan limit, CancellationToken cancellationToken)
    {
        try
        {
            await task.WaitAsync(limit > TimeSpan.Zero ? limit : TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return false;
        }
        catch (Exception) when (task.IsCompleted)
        {
            // It ended, by a fault: the caller's own await of it says how.
        }

        return true;
    }

    /// <summary>The process a healthcheck test runs, as the daemon runs it on Linux; null for NONE or no test.</summary>
    internal static IList<string>? ProbeCommand(IList<string>? test) => test switch
    {
        ["CMD", _, ..] => [.. test.Skip(1)],
        ["CMD-SHELL", var script] => ["/bin/sh", "-c", script],
        _ => null,
    };
}
