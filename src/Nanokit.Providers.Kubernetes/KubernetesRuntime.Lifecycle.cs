using System.Globalization;
using Nanokit.Core.Model;
using Nanokit.Runtime;

namespace Nanokit.Providers.Kubernetes;

// Compose's post_start and pre_stop, run through pods/exec in the replica's own container, in order, as the Docker runtime
// runs them through its exec API: post_start right after the pod has started (before any readiness wait: Compose does not
// wait for health either), pre_stop before a running pod is deleted or replaced. A hook that exits non-zero fails the step,
// naming the hook and its status. A replica whose post_start failed is deleted at once, so the step's retry creates it
// again and runs the hook again rather than keeping it as converged. The commands come from the pod's annotations: a start
// and a delete know the replica's id only. pods/exec takes a command only, so validate refuses a hook's user, privileged,
// working_dir and environment on this runtime.
public sealed partial class KubernetesRuntime
{
    private async Task RunPostStartAsync(ReplicaId id, Pod pod, CancellationToken cancellationToken)
    {
        var commands = PodDefinition.HookCommands(pod, PodDefinition.PostStart);
        if (commands.Length == 0)
        {
            return;
        }

        try
        {
            foreach (var command in commands)
            {
                await RunLifecycleHookAsync(id, "post_start", command, pod, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or RuntimeException || e is KubeApiException { Code: > 0 })
        {
            await DeleteIgnoringMissingAsync(PodPath(id), new DeleteOptions(0), CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    private async Task RunPreStopAsync(ReplicaId id, Pod? pod, CancellationToken cancellationToken)
    {
        if (pod is null || pod.Metadata.DeletionTimestamp is not null || pod.Status?.Phase != "Running")
        {
            return;
        }

        foreach (var command in PodDefinition.HookCommands(pod, PodDefinition.PreStop))
        {
            try
            {
                await RunLifecycleHookAsync(id, "pre_stop", command, pod, cancellationToken).ConfigureAwait(false);
            }
            catch (KubeApiException e) when (e.Code is 400 or 404)
            {
                // Ended or deleted meanwhile: Compose skips the hooks then too.
                return;
            }
        }
    }

    private async Task RunLifecycleHookAsync(ReplicaId id, string key, IReadOnlyList<string> command, Pod pod, CancellationToken cancellationToken)
    {
        var what = $"{key} hook \"{string.Join(' ', command)}\"";
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(LifecycleHook.Timeout);
        int code;
        string output;
        try
        {
            (code, output) = await api.ExecAsync(PodPath(id), pod.Spec.Containers[0].Name, command, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new RuntimeException(ProviderName, id, $"{what} ran past {LifecycleHook.Timeout.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)}s and was stopped");
        }

        if (code != 0)
        {
            var tail = Tail(output).Trim() is { Length: > 0 } text ? ": " + text : "";
            throw new RuntimeException(ProviderName, id, $"{what} exited with status {code}{tail}");
        }
    }
}
