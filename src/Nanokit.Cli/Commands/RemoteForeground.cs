using Google.Protobuf;
using Grpc.Core;
using Nanokit.Cli.Running;
using Nanokit.Server.Api.V1;

namespace Nanokit.Cli.Commands;

/// <summary>
/// <c>nkapp --server URL exec</c> over ExecService (and <c>run</c> over RunService, alike): the command runs on the node
/// that owns the project, in its replica (or a one-off);
/// its stdout and stderr come back byte for byte as it writes them, and its exit code is nkapp's, as embedded <c>exec</c>. With
/// <c>-i</c>, nkapp's stdin goes up in chunks and its end closes the command's. Ctrl-C cancels the call, which stops the
/// command on the server, and exits 130.
/// </summary>
internal static class RemoteForeground
{
    /// <summary>Stdin is sent in pieces this large: far below any server's message limit, large enough to keep a pipe full.</summary>
    private const int StdinChunkBytes = 64 * 1024;

    public static Task<int> ExecAsync(Remote remote, string project, string service, int replica, IReadOnlyList<string> command, Stream? stdin, CliContext context, CancellationToken cancellationToken)
    {
        var start = new ExecStart { Project = project, Service = service, Replica = replica, Stdin = stdin is not null };
        start.Command.AddRange(command);
        return CallAsync("exec", remote.Projects.ExecService(remote.Headers, cancellationToken: cancellationToken), new ExecRequest { Start = start }, stdin, context, cancellationToken);
    }

    /// <summary><c>nkapp --server URL run</c> over RunService: a one-off on the owner's runtime, removed when it ends.</summary>
    public static Task<int> RunAsync(Remote remote, string project, string service, IReadOnlyList<string> command, Stream? stdin, CliContext context, CancellationToken cancellationToken)
    {
        var start = new RunStart { Project = project, Service = service, Stdin = stdin is not null };
        start.Command.AddRange(command);
        return CallAsync("run", remote.Projects.RunService(remote.Headers, cancellationToken: cancellationToken), new ExecRequest { Run = start }, stdin, context, cancellationToken);
    }

    private static async Task<int> CallAsync(string verb, AsyncDuplexStreamingCall<ExecRequest, ExecResponse> opened, ExecRequest first, Stream? stdin, CliContext context, CancellationToken cancellationToken)
    {
        var up = Task.CompletedTask;
        try
        {
            using var call = opened;
            await call.RequestStream.WriteAsync(first, cancellationToken).ConfigureAwait(false);
            up = stdin is null ? call.RequestStream.CompleteAsync() : SendAsync(stdin, call.RequestStream, cancellationToken);
            int? exitCode = null;
            await foreach (var message in call.ResponseStream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                switch (message.MessageCase)
                {
                    case ExecResponse.MessageOneofCase.Stdout:
                        await WriteAsync(message.Stdout, context.OutStream, cancellationToken).ConfigureAwait(false);
                        break;
                    case ExecResponse.MessageOneofCase.Stderr:
                        await WriteAsync(message.Stderr, context.ErrorStream, cancellationToken).ConfigureAwait(false);
                        break;
                    case ExecResponse.MessageOneofCase.ExitCode:
                        exitCode = message.ExitCode;
                        break;
                }
            }

            if (exitCode is not { } code)
            {
                context.Error.WriteLine($"nkapp {verb}: the server ended the call without the command's exit code");
                return ExitCodes.Error;
            }

            return code;
        }
        catch (Exception e) when (cancellationToken.IsCancellationRequested && e is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled })
        {
            context.Error.WriteLine("interrupted: the command was stopped");
            return ExitCodes.Interrupted;
        }
        catch (RpcException e)
        {
            return Remote.Report(e, context);
        }
        finally
        {
            // Stdin the command never read (a terminal still open) is not waited for; the call is over.
            _ = up.ContinueWith(t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }
    }

    private static async Task SendAsync(Stream stdin, IClientStreamWriter<ExecRequest> into, CancellationToken cancellationToken)
    {
        var buffer = new byte[StdinChunkBytes];
        int count;
        while ((count = await stdin.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            await into.WriteAsync(new ExecRequest { Stdin = ByteString.CopyFrom(buffer, 0, count) }, cancellationToken).ConfigureAwait(false);
        }

        await into.CompleteAsync().ConfigureAwait(false);
    }

    /// <summary>The bytes as the command wrote them (ExecResponse carries them unchanged), flushed for a prompt without a newline.</summary>
    private static async Task WriteAsync(ByteString bytes, Stream to, CancellationToken cancellationToken)
    {
        await to.WriteAsync(bytes.Memory, cancellationToken).ConfigureAwait(false);
        await to.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
