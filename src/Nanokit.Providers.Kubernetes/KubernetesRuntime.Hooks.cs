using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Nanokit.Core.Model;
using Nanokit.Runtime;

namespace Nanokit.Providers.Kubernetes;

// Hooks. prestart runs as a one-off pod of the service's image (no replica exists yet), as the Docker runtime runs a
// one-off container; poststart and prestop run in replica 1's container through pods/exec, as the Docker runtime runs
// them through its exec API. One hook pod per service at a time: see SettleHookPodsAsync for what a killed nkapp left.
public sealed partial class KubernetesRuntime
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> hookLocks = new(StringComparer.Ordinal);

    public async Task<HookResult> RunHookAsync(ProjectRef project, ServiceSpec service, HookKind kind, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(service);
        var hook = service.Hooks.For(kind) ?? throw new ArgumentException($"service {service.Name} has no {kind} hook", nameof(kind));
        if (hook.RunOn == HookLocation.Host)
        {
            throw new RuntimeException(ProviderName, project.Name, service.Name, null, "run_on: host hooks are not supported on the kubernetes runtime yet");
        }

        if (hook.Command.IsDefaultOrEmpty)
        {
            throw new RuntimeException(ProviderName, project.Name, service.Name, null, "hook has an empty command");
        }

        var timeout = hook.Timeout > TimeSpan.Zero ? hook.Timeout : Timeout.InfiniteTimeSpan;
        var clock = Stopwatch.StartNew();
        var (code, output, timedOut) = kind == HookKind.Prestart
            ? await Call(project.Name, service.Name, null, () => RunInOneOffPodAsync(project.Name, service, hook.Command, timeout, cancellationToken)).ConfigureAwait(false)
            : await RunInReplicaAsync(project, service, kind, hook.Command, timeout, cancellationToken).ConfigureAwait(false);
        return new HookResult(code, Tail(output), timedOut, clock.Elapsed);
    }

    // The hook's timeout ends the exec: the WebSocket closes, which ends the command on the kubelet's side.
    private async Task<(int, string, bool)> RunInReplicaAsync(ProjectRef project, ServiceSpec service, HookKind kind, IReadOnlyList<string> command, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var replica = new ReplicaId(project, service.Name, 1);
        var pod = await Call(replica, () => api.GetAsync<Pod>(PodPath(replica), cancellationToken)).ConfigureAwait(false);
        if (pod is null || pod.Metadata.DeletionTimestamp is not null || PodDefinition.ExitCode(pod) is not null)
        {
            throw new RuntimeException(ProviderName, replica, $"cannot run the {kind.ToString().ToLowerInvariant()} hook: pod {PodPath(replica)} {(pod is null ? "does not exist" : "is not running")}");
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            var (code, output) = await Call(replica, () => api.ExecAsync(PodPath(replica), PodDefinition.DnsLabel(service.Name), command, deadline.Token)).ConfigureAwait(false);
            return (code, output, false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (-1, "", true);
        }
    }

    /// <summary>
    /// The one-off pod: created, waited for until its container ends or the timeout passes, its log read, then deleted
    /// whatever happened (at once: a hook past its timeout gets no grace, as Docker's kills its one-off container).
    /// </summary>
    private async Task<(int, string, bool)> RunInOneOffPodAsync(string project, ServiceSpec service, IReadOnlyList<string> command, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var ns = PodDefinition.Namespace(project);
        var gate = hookLocks.GetOrAdd(project + "/" + service.Name, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await EnsureNamespaceAsync(ns, cancellationToken).ConfigureAwait(false);
            await SettleHookPodsAsync(project, service, timeout, cancellationToken).ConfigureAwait(false);
            var name = $"{PodDefinition.DnsLabel(service.Name)}-prestart-{Guid.NewGuid().ToString("N")[..8]}";
            var files = FileLock(project);
            await files.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await ApplyFilesAsync(project, service, null, cancellationToken).ConfigureAwait(false);
                await EnsureClaimsAsync(project, service, cancellationToken).ConfigureAwait(false);

                // Not the caller's token: cancelled after the server made the pod but before its answer, the finally
                // below would not know to delete it. The wait and the log honour cancellation.
                await api.SendAsync<Pod>(HttpMethod.Post, $"/api/v1/namespaces/{ns}/pods", PodDefinition.ForHook(project, service, name, command), CancellationToken.None).ConfigureAwait(false);
            }
            finally
            {
                files.Release();
            }

            try
            {
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                deadline.CancelAfter(timeout);
                int code;
                var timedOut = false;
                try
                {
                    code = await WaitHookEndedAsync(project, service, ns, name, deadline.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    (code, timedOut) = (-1, true);
                }

                var output = new StringBuilder();
                await foreach (var line in api.ReadLinesAsync($"/api/v1/namespaces/{ns}/pods/{name}/log", cancellationToken).ConfigureAwait(false))
                {
                    output.Append(line).Append('\n');
                }

                return (code, output.ToString(), timedOut);
            }
            finally
            {
                await RemoveHookPodAsync(ns, name).ConfigureAwait(false);
            }
        }
        finally
        {
            gate.Release();
        }
    }

    // An image that does not pull never ends the pod: it fails the hook instead of waiting out its timeout.
    private async Task<int> WaitHookEndedAsync(string project, ServiceSpec service, string ns, string name, CancellationToken cancellationToken) =>
        (await WaitPodAsync(ns, name, pod => pod switch
        {
            null => throw new RuntimeException(ProviderName, project, service.Name, null, $"prestart hook pod {name} was deleted before it completed"),
            _ when PodDefinition.Stuck(pod) is { } why => throw new RuntimeException(ProviderName, project, service.Name, null, $"prestart hook pod {name} cannot start: {why}"),
            _ when PodDefinition.ExitCode(pod) is { } code => new Box<int>(code),
            _ => null,
        }, cancellationToken).ConfigureAwait(false)).Value;

    /// <summary>
    /// Clears the service's hook pods before another starts, as the Docker runtime clears its hook containers. Ended ones
    /// are deleted. One still running was left by an nkapp killed mid-hook: it is waited for, never run alongside, because
    /// a prestart hook is typically a migration and killing one halfway can leave a schema half-applied. The wait is
    /// bounded by the hook's timeout counted from the pod's start (its own run would have stopped it then), after which it
    /// is deleted; cancelling the waiting run deletes it too, as that run has taken it over. Then the hook runs anew: the
    /// dead run never acted on the leftover's result.
    /// </summary>
    private async Task SettleHookPodsAsync(string project, ServiceSpec service, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var ns = PodDefinition.Namespace(project);
        var leftovers = await api.SendAsync<PodList>(HttpMethod.Get, $"/api/v1/namespaces/{ns}/pods?labelSelector={PodDefinition.HookSelector(project, service.Name)}", null, cancellationToken).ConfigureAwait(false);
        foreach (var pod in leftovers.Items)
        {
            var name = pod.Metadata.Name!;
            if (pod.Metadata.DeletionTimestamp is null && PodDefinition.ExitCode(pod) is null)
            {
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                if (timeout != Timeout.InfiniteTimeSpan)
                {
                    var started = pod.Status?.StartTime ?? DateTimeOffset.UtcNow;
                    deadline.CancelAfter(TimeSpan.FromTicks(Math.Max(0, (started + timeout - DateTimeOffset.UtcNow).Ticks)));
                }

                try
                {
                    await WaitPodAsync(ns, name, p => p is null || p.Metadata.DeletionTimestamp is not null || PodDefinition.ExitCode(p) is not null || PodDefinition.Stuck(p) is not null ? new Box<bool>(true) : null, deadline.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // Past its timeout, or the waiting run is stopped: either way it goes now.
                    await RemoveHookPodAsync(ns, name).ConfigureAwait(false);
                    cancellationToken.ThrowIfCancellationRequested();
                }
            }

            await RemoveHookPodAsync(ns, name).ConfigureAwait(false);
        }
    }

    // Without the caller's token: a hook pod is deleted also when its run is stopped. gracePeriodSeconds=0 removes the
    // object at once (the kubelet kills what still runs), so there is nothing to wait for; the next hook pod has its own name.
    private Task RemoveHookPodAsync(string ns, string name) =>
        DeleteIgnoringMissingAsync($"/api/v1/namespaces/{ns}/pods/{name}", new DeleteOptions(0), CancellationToken.None);

    // Enough to say why a hook failed without keeping unbounded output.
    private static string Tail(string output) => output.Length <= 4096 ? output : output[^4096..];
}
