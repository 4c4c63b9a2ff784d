using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Nanokit.Providers.Kubernetes.Tests.ApiServer;

// The exec probes of a pod of a runnable image, as the kubelet's prober workers run them (pkg/kubelet/prober/worker.go):
// one worker per probe, each probing every periodSeconds once initialDelaySeconds have passed since the container
// started, a result taking effect after failureThreshold failures or successThreshold successes in a row. While a
// startupProbe has not succeeded the container is not started (containerStatuses[].started false) and the readinessProbe
// is not run; its success marks the container started and runs the readinessProbe at once (the status manager's manual
// trigger); failureThreshold failures kill the container, which with restartPolicy Never ends the pod (Failed). The
// readinessProbe's result is the container's ready, and the pod's Ready and ContainersReady conditions. Here the kill is
// at once (SIGKILL, exit code 137) rather than after the grace period: no test here traps SIGTERM in a probed container.
// The probe's command runs as a real process in the container's scratch directory with its env, as pods/exec does;
// exit 0 is success, anything else or a timeout (timeoutSeconds) a failure.
internal sealed partial class Kubelet
{
    private async Task ProbeAsync(string ns, string name, string uid, JsonObject container)
    {
        var startup = container["startupProbe"] as JsonObject;
        var readiness = container["readinessProbe"] as JsonObject;
        var started = DateTimeOffset.UtcNow;
        try
        {
            if (startup is not null && !await StartupAsync(ns, name, uid, container, startup, started).ConfigureAwait(false))
            {
                return;
            }

            SetStarted(ns, name, uid);
            if (readiness is not null)
            {
                await ReadinessAsync(ns, name, uid, container, readiness, started).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    // Whether the startupProbe succeeded; after failureThreshold failures in a row the container is killed and the pod ends.
    private async Task<bool> StartupAsync(string ns, string name, string uid, JsonObject container, JsonObject probe, DateTimeOffset started)
    {
        var failures = 0;
        await foreach (var _ in TicksAsync(probe, started).ConfigureAwait(false))
        {
            if (!Alive(ns, name, uid))
            {
                return false;
            }

            if (await ProbeOnceAsync(ns, name, container, probe).ConfigureAwait(false))
            {
                return true;
            }

            if (++failures >= Setting(probe, "failureThreshold"))
            {
                await KillAsync(ns, name, uid).ConfigureAwait(false);
                if (Alive(ns, name, uid))
                {
                    Exit(ns, name, 137);
                }

                return false;
            }
        }

        return false;
    }

    private async Task ReadinessAsync(string ns, string name, string uid, JsonObject container, JsonObject probe, DateTimeOffset started)
    {
        var (last, run) = (false, 0);
        bool? ready = null;
        await foreach (var _ in TicksAsync(probe, started).ConfigureAwait(false))
        {
            if (!Alive(ns, name, uid))
            {
                return;
            }

            var passed = await ProbeOnceAsync(ns, name, container, probe).ConfigureAwait(false);
            (last, run) = passed == last ? (last, run + 1) : (passed, 1);
            if (run >= Setting(probe, passed ? "successThreshold" : "failureThreshold") && ready != passed)
            {
                ready = passed;
                SetReady(ns, name, uid, passed);
            }
        }
    }

    // The first tick once initialDelaySeconds have passed since the container started, then one every periodSeconds.
    private async IAsyncEnumerable<int> TicksAsync(JsonObject probe, DateTimeOffset started)
    {
        var delay = started.AddSeconds(probe["initialDelaySeconds"]?.GetValue<int>() ?? 0) - DateTimeOffset.UtcNow;
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, stopping.Token).ConfigureAwait(false);
        }

        using var period = new PeriodicTimer(TimeSpan.FromSeconds(Setting(probe, "periodSeconds")));
        for (var tick = 0; ; tick++)
        {
            yield return tick;
            await period.WaitForNextTickAsync(stopping.Token).ConfigureAwait(false);
        }
    }

    private async Task<bool> ProbeOnceAsync(string ns, string name, JsonObject container, JsonObject probe)
    {
        var command = (probe["exec"]?["command"] as JsonArray ?? []).Select(a => a!.GetValue<string>()).ToList();
        if (command.Count == 0)
        {
            return false;
        }

        var start = new ProcessStartInfo(command[0])
        {
            WorkingDirectory = Directory.CreateDirectory(Path.Combine(scratch, ns, name)).FullName,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        command.Skip(1).ToList().ForEach(start.ArgumentList.Add);
        foreach (var env in container["env"] as JsonArray ?? [])
        {
            start.Environment[(string)env!["name"]!] = (string?)env["value"] ?? "";
        }

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }

        using (process)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping.Token);
            timeout.CancelAfter(TimeSpan.FromSeconds(Setting(probe, "timeoutSeconds")));
            var drain = Task.WhenAll(process.StandardOutput.ReadToEndAsync(timeout.Token), process.StandardError.ReadToEndAsync(timeout.Token));
            try
            {
                await drain.ConfigureAwait(false);
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
                return process.ExitCode == 0;
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                stopping.Token.ThrowIfCancellationRequested();
                return false;
            }
        }
    }

    // The admission defaults (ObjectRules.Probes.cs) fill every setting in.
    private static int Setting(JsonObject probe, string key) => probe[key]!.GetValue<int>();

    private bool Alive(string ns, string name, string uid) =>
        store.Get("pods", ns, name) is { } pod && (string?)pod["metadata"]!["uid"] == uid && pod["metadata"]!["deletionTimestamp"] is null
        && pod["status"]?["phase"]?.GetValue<string>() == "Running";

    private void SetStarted(string ns, string name, string uid) => store.Update("pods", ns, name, p =>
    {
        if ((string?)p["metadata"]!["uid"] != uid || p["status"]!["phase"]!.GetValue<string>() != "Running")
        {
            return false;
        }

        foreach (var status in p["status"]!["containerStatuses"]!.AsArray())
        {
            status!["started"] = true;
        }

        return true;
    });

    private void SetReady(string ns, string name, string uid, bool ready) => store.Update("pods", ns, name, p =>
    {
        if ((string?)p["metadata"]!["uid"] != uid || p["status"]!["phase"]!.GetValue<string>() != "Running" || p["metadata"]!["deletionTimestamp"] is not null)
        {
            return false;
        }

        SetCondition(p, "Ready", ready);
        SetCondition(p, "ContainersReady", ready);
        foreach (var status in p["status"]!["containerStatuses"]!.AsArray())
        {
            status!["ready"] = ready;
        }

        return true;
    });
}
