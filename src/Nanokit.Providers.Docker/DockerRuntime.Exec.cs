using System.Collections.Immutable;
using Docker.DotNet.Models;
using Nanokit.Core.Model;
using Nanokit.Runtime;

namespace Nanokit.Providers.Docker;

// nkapp exec and nkapp run on Docker, as docker compose runs them: exec through the exec API in the replica's container,
// run as a one-off container of the service's definition (named project-service-run-xxxxxxxx, labelled with the project so
// the project's network stays while it runs, never with a replica label, so the reconciler never sees it), removed after.
public sealed partial class DockerRuntime : IReplicaCommands
{
    /// <summary>Label on a one-off container, naming its service.</summary>
    private const string OneOffLabel = "io.nanokit.oneoff";

    /// <summary>How long the exec's state is waited for after its output ended (to stop it when cancelled, to read its exit code).</summary>
    private static readonly TimeSpan ExecInspectTimeout = TimeSpan.FromSeconds(10);

    public async Task<int> ExecAsync(ReplicaId replica, ImmutableArray<string> command, CommandStreams streams, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(replica);
        ArgumentNullException.ThrowIfNull(streams);
        var container = SlotName(replica);
        try
        {
            var found = await InspectAsync(container, cancellationToken).ConfigureAwait(false);
            if (found is not { State.Running: true })
            {
                throw new RuntimeException(ProviderName, replica, $"not running ({found?.State?.Status ?? "missing"}); start it with `nkapp start {replica.Service}`");
            }

            var exec = await _engine.CallAsync(
                (client, token) => client.Exec.CreateContainerExecAsync(
                    container,
                    new ContainerExecCreateParameters { Cmd = [.. command], AttachStdin = streams.Input is not null, AttachStdout = true, AttachStderr = true },
                    token),
                cancellationToken).ConfigureAwait(false);
            using (var stream = await _engine.CallAsync(
                       (client, token) => client.Exec.StartContainerExecAsync(exec.ID, new ContainerExecStartParameters(), token), cancellationToken).ConfigureAwait(false))
            {
                var input = streams.Input is { } source ? CopyInputAsync(source, stream, cancellationToken) : Task.CompletedTask;
                try
                {
                    await CopyOutputAsync(stream, streams, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    // Cancelled (Ctrl-C, a caller of the server gone): the command is stopped below, then the cancellation surfaces.
                }

                // The output ends when the command does: input it never read (a terminal, a caller's stream still open) is not waited for.
                _ = input.ContinueWith(t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            }

            // Not the caller's token: a cancelled exec must still be looked at to be stopped; bounded, should the daemon hang.
            using (var inspecting = new CancellationTokenSource(ExecInspectTimeout))
            {
                var state = await _engine.CallAsync((client, token) => client.Exec.InspectContainerExecAsync(exec.ID, token), inspecting.Token).ConfigureAwait(false);
                if (state.Running)
                {
                    KillExecProcess(state.Pid, state.ContainerID);
                }

                cancellationToken.ThrowIfCancellationRequested();
                return state.ExitCode is { } exitCode ? (int)exitCode : -1;
            }

        }
        catch (DockerException e)
        {
            throw Failure(replica, e, "exec: " + e.Message);
        }
    }

    public async Task<int> RunOnceAsync(ProjectRef project, ServiceSpec service, ImmutableArray<string> command, CommandStreams streams, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(streams);
        Validate(new ReplicaId(project, service.Name, 1), service);

        var name = $"{project.Name}-{service.Name}-run-{Guid.NewGuid().ToString("N")[..8]}";
        var request = ContainerDefinition.ForHook(project, service, command.IsDefaultOrEmpty ? [] : command);
        request.Entrypoint = service.Entrypoint is { } entrypoint ? [.. entrypoint] : null!;
        request.Cmd = command.IsDefaultOrEmpty ? (service.Command is { } own ? [.. own] : null!) : [.. command];
        request.Labels = new Dictionary<string, string>(StringComparer.Ordinal) { [ContainerDefinition.Project] = project.Name, [OneOffLabel] = service.Name };
        request.Tty = false;

        // run -i (docker run -i): stdin held open until the one client that attaches is done with it.
        request.OpenStdin = request.StdinOnce = request.AttachStdin = streams.Input is not null;

        // Attached before the start, as docker run does, so every byte comes live from the command's pipes: Logs (or an
        // attach's replay) would come through the log driver, which keeps lines as text (json-file replaces what is not UTF-8).
        var attach = new ContainerAttachParameters { Stream = true, Stdin = streams.Input is not null, Stdout = true, Stderr = true };
        global::Docker.DotNet.MultiplexedStream? stream = null;
        try
        {
            await PrepareAsync(project, service, progress: null, cancellationToken).ConfigureAwait(false);
            try
            {
                // Not the caller's token for the create: see RunInOneOffContainerAsync; the finally removes what was made.
                await RunContainerAsync(project, service, name, request, CancellationToken.None, cancellationToken, async token =>
                {
                    // A second create (the project network was ensured again) is a new container to attach to.
                    stream?.Dispose();
                    stream = await _engine.CallAsync((client, t) => client.Containers.AttachContainerAsync(name, attach, t), token).ConfigureAwait(false);
                }).ConfigureAwait(false);
                var input = streams.Input is { } source ? CopyInputAsync(source, stream!, cancellationToken) : Task.CompletedTask;
                await CopyOutputAsync(stream!, streams, cancellationToken).ConfigureAwait(false);

                // The output ends when the command does: input it never read (a terminal still open) is not waited for.
                _ = input.ContinueWith(t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);

                return await WaitAsync(name, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                stream?.Dispose();
                await RemoveAsync(name, stopFirst: false, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (DockerException e)
        {
            throw Failure(project.Name, service.Name, e, "run: " + e.Message);
        }
    }

    /// <summary>
    /// Writes the command's stdout and stderr to the caller's, byte for byte as the daemon's frames carry them, each
    /// piece flushed as it comes (an interactive shell's prompt has no newline to wait for).
    /// </summary>
    private static async Task CopyOutputAsync(global::Docker.DotNet.MultiplexedStream stream, CommandStreams streams, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        while (true)
        {
            // On the thread pool: the library's transport resumes on the caller's scheduler otherwise (see DockerEngine.OffContext).
            var read = await Task.Run(() => stream.ReadOutputAsync(buffer, 0, buffer.Length, cancellationToken), CancellationToken.None).ConfigureAwait(false);
            if (read.EOF)
            {
                return;
            }

            var to = read.Target == global::Docker.DotNet.MultiplexedStream.TargetStream.StandardError ? streams.Error : streams.Output;
            await to.WriteAsync(buffer.AsMemory(0, read.Count), cancellationToken).ConfigureAwait(false);
            await to.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Sends the caller's input, then closes the command's stdin, so a command reading to its end ends.</summary>
    private static async Task CopyInputAsync(Stream source, global::Docker.DotNet.MultiplexedStream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        int count;
        while ((count = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            await stream.WriteAsync(buffer, 0, count, cancellationToken).ConfigureAwait(false);
        }

        stream.CloseWrite();
    }
}
