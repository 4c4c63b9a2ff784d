using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Text;
using Docker.DotNet.Models;
using Nanokit.Core.Model;
using Nanokit.Providers.Local;
using Nanokit.Runtime;

namespace Nanokit.Providers.Docker;

// Hooks. Prestart runs as a one-off container of the service image (the replicas do not exist yet); poststart and prestop run
// through the exec API in replica 1. run_on: host runs on this machine, from the project directory.
// A hook is stopped with its run: the caller's token, or disposing the runtime (nkapp's SIGTERM path), which waits until
// every hook it runs has been stopped and its container removed. One one-off hook container per service at a time: see
// SettleHookContainersAsync for what a crashed nkapp left running.
public sealed partial class DockerRuntime
{
    private readonly ConcurrentDictionary<Task, byte> _hooksRunning = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly HookRunner _hostHooks;

    public async Task<HookResult> RunHookAsync(ProjectRef project, ServiceSpec service, HookKind kind, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(service);
        var run = RunHookTrackedAsync(project, service, kind, cancellationToken);
        _hooksRunning.TryAdd(run, 0);
        try
        {
            return await run.ConfigureAwait(false);
        }
        finally
        {
            _hooksRunning.TryRemove(run, out _);
        }
    }

    /// <summary>Stops the hooks this runtime runs, waits until they are cleaned up, then closes the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _hostHooks.DisposeAsync().ConfigureAwait(false);
        foreach (var run in _hooksRunning.Keys)
        {
            try
            {
                await run.ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or RuntimeException)
            {
                // The run's caller sees its outcome; disposing only needs it finished.
            }
        }

        Dispose();
    }

    private async Task<HookResult> RunHookTrackedAsync(ProjectRef project, ServiceSpec service, HookKind kind, CancellationToken callerToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(callerToken, _stopping.Token);
        var cancellationToken = linked.Token;
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
                ? await RunOnHostAsync(project, service, kind, hook, cancellationToken).ConfigureAwait(false)
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

    /// <summary>On this machine, as the local runtime runs hooks (<see cref="HookRunner"/>): tracked, one at a time per service, a dead run's leftover waited for.</summary>
    private async Task<(int, string, bool)> RunOnHostAsync(ProjectRef project, ServiceSpec service, HookKind kind, Hook hook, CancellationToken cancellationToken)
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
        if (ProcessEnvironment.ResolveExecutable(hook.Command[0], directory, environment) is null)
        {
            throw new InvalidOperationException($"hook command '{hook.Command[0]}' not found in PATH");
        }

        var outcome = await _hostHooks.RunAsync(project, service, kind, hook, directory, environment, cancellationToken).ConfigureAwait(false);
        return (outcome.ExitCode, outcome.OutputTail, outcome.TimedOut);
    }

    private async Task<(int, string, bool)> RunInOneOffContainerAsync(
        ProjectRef project, ServiceSpec service, ImmutableArray<string> command, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(service.Image) && service.Build is null)
        {
            throw new InvalidOperationException("a prestart hook in the service needs its 'image' (or use run_on: host)");
        }

        using var gate = await LockAsync("hook " + project.Name + "/" + service.Name, cancellationToken).ConfigureAwait(false);
        await SettleHookContainersAsync(project, service, timeout, cancellationToken).ConfigureAwait(false);
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
                try
                {
                    await _engine.CallAsync((client, token) => client.Containers.KillContainerAsync(name, new ContainerKillParameters(), token), cancellationToken).ConfigureAwait(false);
                }
                catch (DockerException e) when (e.StatusCode == 404)
                {
                    // Gone already: the wait below reports how it ended.
                }

                exitCode = await WaitAsync(name, cancellationToken).ConfigureAwait(false);
            }

            var output = new StringBuilder();
            await foreach (var line in ReadContainerLogsAsync(name, null, follow: false, timestamps: false, since: null, cancellationToken).ConfigureAwait(false))
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

    /// <summary>
    /// Clears the service's hook containers before another starts. Those not running are removed. One still running was
    /// left by an nkapp that died mid-hook (within this process the gate keeps runs apart, across processes the project
    /// lock does): it is waited for, never run alongside, because a prestart hook is typically a migration and killing
    /// one halfway can leave a schema half-applied. The wait is bounded by the hook's timeout counted from the container's
    /// start (its own run would have stopped it then), after which it is killed; cancelling the waiting run kills it too,
    /// as that run has taken it over. Then the hook runs anew: the dead run never acted on the leftover's result.
    /// </summary>
    private async Task SettleHookContainersAsync(ProjectRef project, ServiceSpec service, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var leftovers = await ListContainersAsync(
            cancellationToken, ("label", ContainerDefinition.Project + "=" + project.Name), ("label", ContainerDefinition.Hook + "=" + service.Name)).ConfigureAwait(false);
        foreach (var container in leftovers)
        {
            if (container.State == "running")
            {
                await AwaitLeftoverHookAsync(container.ID, timeout, cancellationToken).ConfigureAwait(false);
            }

            await RemoveAsync(container.ID, stopFirst: false, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task AwaitLeftoverHookAsync(string container, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout != Timeout.InfiniteTimeSpan)
        {
            // To the second: Docker writes nanoseconds, more than DateTimeOffset parses, and a second is close enough here.
            var started = await InspectAsync(container, cancellationToken).ConfigureAwait(false) is { State.StartedAt: { Length: >= 19 } text }
                          && DateTimeOffset.TryParseExact(
                              text[..19], "yyyy-MM-dd'T'HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture,
                              System.Globalization.DateTimeStyles.AssumeUniversal, out var at)
                ? at
                : DateTimeOffset.UtcNow;
            deadline.CancelAfter(TimeSpan.FromTicks(Math.Max(0, (started + timeout - DateTimeOffset.UtcNow).Ticks)));
        }

        try
        {
            await WaitAsync(container, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Past its timeout, or the waiting run is stopped: either way it goes now (the removal below kills it).
            await RemoveAsync(container, stopFirst: false, CancellationToken.None).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }
        catch (DockerException e) when (e.StatusCode == 404)
        {
            // Removed meanwhile: nothing left to wait for.
        }
    }

    private Task<(int, string, bool)> RunInReplicaAsync(
        ProjectRef project, ServiceSpec service, ImmutableArray<string> command, TimeSpan timeout, CancellationToken cancellationToken) =>
        ExecAsync(
            SlotName(new ReplicaId(project, service.Name, 1)),
            new ContainerExecCreateParameters { Cmd = [.. command], AttachStdout = true, AttachStderr = true },
            timeout,
            cancellationToken);

    /// <summary>Runs an exec in a running container to its end or <paramref name="timeout"/>: exit code (-1 when stopped), output tail, whether it timed out.</summary>
    private async Task<(int, string, bool)> ExecAsync(string container, ContainerExecCreateParameters parameters, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ContainerExecCreateResponse exec;
        try
        {
            exec = await _engine.CallAsync(
                (client, token) => client.Exec.CreateContainerExecAsync(container, parameters, token),
                cancellationToken).ConfigureAwait(false);
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
            using var stream = await _engine.CallAsync(
                (client, token) => client.Exec.StartContainerExecAsync(exec.ID, new ContainerExecStartParameters(), token), deadline.Token).ConfigureAwait(false);
            await foreach (var line in LogLines.ReadAsync(stream, deadline.Token).ConfigureAwait(false))
            {
                output.Append(line).Append('\n');
            }
        }
        catch (OperationCanceledException)
        {
            // Timed out, or its run is stopped: either way the hook must not go on running in the replica.
            timedOut = true;
        }

        var state = await _engine.FindAsync((client, token) => client.Exec.InspectContainerExecAsync(exec.ID, token), CancellationToken.None).ConfigureAwait(false);
        if (timedOut && state is { Running: true, Pid: > 0 })
        {
            // The exec API cannot kill an exec; its Pid is in the host's namespace, so on a local daemon we can.
            KillExecProcess(state.Pid, state.ContainerID);
        }

        cancellationToken.ThrowIfCancellationRequested();

        return (timedOut ? -1 : (int?)state?.ExitCode ?? -1, Tail(output.ToString()), timedOut);
    }

    /// <summary>
    /// Stops an exec that is still running. The exec API cannot; the pid the daemon reports is a process of the daemon's
    /// host, which is this one only when the daemon runs here. So the process is killed only when this host's /proc
    /// says it lives in the container's cgroup: a remote daemon's pid (DOCKER_HOST=tcp://…, a VM), or a pid reused
    /// since, names some other process here, and killing it would be killing a stranger.
    /// </summary>
    private static void KillExecProcess(long pid, string? containerId)
    {
        try
        {
            if (pid <= 0 || containerId is not { Length: > 0 } || !File.ReadAllText($"/proc/{pid}/cgroup").Contains(containerId, StringComparison.Ordinal))
            {
                return;
            }

            using var process = Process.GetProcessById((int)pid);
            process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception)
        {
            // Already gone, or not this host's: the timeout or cancellation is still reported.
        }
    }

    private string Tail(string text) =>
        text.Length > _options.HookOutputTailChars ? text[^_options.HookOutputTailChars..] : text;
}
