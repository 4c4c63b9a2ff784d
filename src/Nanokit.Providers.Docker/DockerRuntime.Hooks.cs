using System.Collections.Immutable;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using Nanokit.Core.Model;
using Nanokit.Runtime;

namespace Nanokit.Providers.Docker;

// Hooks. Prestart runs as a one-off container of the service image (the replicas do not exist yet); poststart and prestop run
// through the exec API in replica 1. run_on: host runs on this machine, from the project directory.
public sealed partial class DockerRuntime
{
    public async Task<HookResult> RunHookAsync(ProjectRef project, ServiceSpec service, HookKind kind, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(service);
        var hook = service.Hooks.For(kind) ?? throw new ArgumentException($"service {service.Name} has no {kind} hook", nameof(kind));
        if (hook.Command.IsDefaultOrEmpty)
        {
            throw new RuntimeException(ProviderName, project.Name, service.Name, null, "hook has an empty command");
        }

        var timeout = hook.Timeout > TimeSpan.Zero ? hook.Timeout : Timeout.InfiniteTimeSpan;
        var clock = Stopwatch.StartNew();
        try
        {
            var (exitCode, output, timedOut) = hook.RunOn == HookLocation.Host
                ? await RunOnHostAsync(project, service, hook, timeout, cancellationToken).ConfigureAwait(false)
                : kind == HookKind.Prestart
                    ? await RunInOneOffContainerAsync(project, service, hook.Command, timeout, cancellationToken).ConfigureAwait(false)
                    : await RunInReplicaAsync(project, service, hook.Command, timeout, cancellationToken).ConfigureAwait(false);
            return new HookResult(exitCode, output, timedOut, clock.Elapsed);
        }
        catch (DockerException e)
        {
            throw Failure(project.Name, service.Name, e, "hook: " + e.Message);
        }
        catch (InvalidOperationException e)
        {
            throw new RuntimeException(ProviderName, project.Name, service.Name, null, e.Message, e);
        }
    }

    private async Task<(int, string, bool)> RunOnHostAsync(ProjectRef project, ServiceSpec service, Hook hook, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var directory = Path.GetFullPath(project.Directory);
        if (!Directory.Exists(directory))
        {
            throw new InvalidOperationException($"hook working directory '{directory}' does not exist");
        }

        // A host hook runs in the caller's environment (docker CLI and all) with the service's on top.
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            environment[(string)entry.Key] = (string?)entry.Value ?? "";
        }

        foreach (var pair in ContainerDefinition.Environment(service).Select(e => e.Split('=', 2)))
        {
            environment[pair[0]] = pair[1];
        }

        environment["NANOKIT_PROJECT"] = project.Name;
        environment["NANOKIT_SERVICE"] = service.Name;
        var outcome = await HostCommand.RunAsync(hook.Command, directory, environment, timeout, _options.HookOutputTailChars, cancellationToken).ConfigureAwait(false);
        return (outcome.ExitCode, outcome.OutputTail, outcome.TimedOut);
    }

    private async Task<(int, string, bool)> RunInOneOffContainerAsync(
        ProjectRef project, ServiceSpec service, ImmutableArray<string> command, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(service.Image))
        {
            throw new InvalidOperationException("a prestart hook in the service needs its 'image' (or use run_on: host)");
        }

        await SweepHookContainersAsync(project, service, cancellationToken).ConfigureAwait(false);
        await PrepareAsync(project, service, progress: null, cancellationToken).ConfigureAwait(false);
        var name = $"{project.Name}-{service.Name}-prestart-{Guid.NewGuid().ToString("N")[..8]}";
        var request = ContainerDefinition.ForHook(project, service, command);
        try
        {
            // Not the caller's token for the create: cancelled after the daemon made the container but before its answer,
            // the finally below would not know to remove it. Creating takes a moment; the start and wait honour cancellation.
            await RunContainerAsync(project, service, name, request, CancellationToken.None, cancellationToken).ConfigureAwait(false);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(timeout);
            var timedOut = false;
            int exitCode;
            try
            {
                exitCode = await WaitAsync(name, deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                timedOut = true;
                await _client.CallAsync(HttpMethod.Post, "containers/" + name + "/kill", cancellationToken, notFoundIsFine: true).ConfigureAwait(false);
                exitCode = await WaitAsync(name, cancellationToken).ConfigureAwait(false);
            }

            var output = new StringBuilder();
            await foreach (var line in ReadContainerLogsAsync(name, null, follow: false, since: null, cancellationToken).ConfigureAwait(false))
            {
                output.Append(line).Append('\n');
            }

            return (exitCode, Tail(output.ToString()), timedOut);
        }
        finally
        {
            await RemoveAsync(name, stopFirst: false, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>Removes the service's hook containers that are not running: left by a process that died mid-hook. Running ones may be another caller's.</summary>
    private async Task SweepHookContainersAsync(ProjectRef project, ServiceSpec service, CancellationToken cancellationToken)
    {
        var path = "containers/json?all=true&filters=" + DockerClient.Filters(
            ("label", ContainerDefinition.Project + "=" + project.Name), ("label", ContainerDefinition.Hook + "=" + service.Name));
        var stale = await _client.GetAsync(path, DockerJson.Default.ListContainerSummary, cancellationToken).ConfigureAwait(false) ?? [];
        foreach (var container in stale.Where(c => c.State != "running"))
        {
            await RemoveAsync(container.Id, stopFirst: false, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<(int, string, bool)> RunInReplicaAsync(
        ProjectRef project, ServiceSpec service, ImmutableArray<string> command, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var container = ContainerDefinition.ContainerName(new ReplicaId(project, service.Name, 1));
        IdResponse exec;
        try
        {
            exec = await _client.PostAsync(
                "containers/" + Uri.EscapeDataString(container) + "/exec", new ExecCreateRequest(command, true, true, null),
                DockerJson.Default.ExecCreateRequest, DockerJson.Default.IdResponse, cancellationToken).ConfigureAwait(false);
        }
        catch (DockerException e) when (e.StatusCode is 404 or 409)
        {
            throw new DockerException(e.StatusCode, $"cannot exec in {container}: {e.Message}", e);
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var output = new StringBuilder();
        var timedOut = false;
        try
        {
            using var response = await _client.SendAsync(
                HttpMethod.Post, "exec/" + exec.Id + "/start", JsonContent.Create(new ExecStartRequest(false, false), DockerJson.Default.ExecStartRequest),
                deadline.Token, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
            await using var stream = await response.Content.ReadAsStreamAsync(deadline.Token).ConfigureAwait(false);
            await foreach (var line in MultiplexedStream.ReadLinesAsync(stream, deadline.Token).ConfigureAwait(false))
            {
                output.Append(line).Append('\n');
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            timedOut = true;
        }

        var state = await _client.GetAsync("exec/" + exec.Id + "/json", DockerJson.Default.ExecInspect, cancellationToken).ConfigureAwait(false);
        if (timedOut && state is { Running: true, Pid: > 0 })
        {
            // The exec API cannot kill an exec; its Pid is in the host's namespace, so on a local daemon we can.
            KillHostProcess(state.Pid);
        }

        return (timedOut ? -1 : state?.ExitCode ?? -1, Tail(output.ToString()), timedOut);
    }

    private static void KillHostProcess(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Already gone, or a remote daemon: the timeout is still reported.
        }
    }

    private string Tail(string text) =>
        text.Length > _options.HookOutputTailChars ? text[^_options.HookOutputTailChars..] : text;
}
