using System.Text;
using Google.Protobuf;
using Grpc.Core;
using Nanokit.Server.Api.V1;

namespace Nanokit.Server.Api;

/// <summary>
/// The command's stdout or stderr as ExecResponse messages: each write the runtime makes (at most its own buffer, 16 KiB
/// on Docker) becomes one message, so a message stays far below the size limit. A runtime may write both streams at
/// once (the local runtime copies them concurrently) and a gRPC stream takes one write at a time, hence the shared gate.
/// Only the asynchronous writes the runtimes use are served; a synchronous one would block a thread on the network.
/// </summary>
internal sealed class ExecOutput(IServerStreamWriter<ExecResponse> output, SemaphoreSlim gate, bool isError, CancellationToken cancellationToken) : TextWriter
{
    private readonly Encoder encoder = new UTF8Encoding(false).GetEncoder();

    public override Encoding Encoding => Encoding.UTF8;

    public override Task WriteAsync(ReadOnlyMemory<char> buffer, CancellationToken token = default) => SendAsync(buffer);

    public override Task WriteAsync(char value) => SendAsync(new[] { value });

    public override Task WriteAsync(string? value) => SendAsync((value ?? "").AsMemory());

    public override Task WriteAsync(char[] buffer, int index, int count) => SendAsync(buffer.AsMemory(index, count));

    /// <summary>Nothing is buffered here but a character split across writes, which waits for its other half.</summary>
    public override Task FlushAsync(CancellationToken token) => Task.CompletedTask;

    public override Task FlushAsync() => Task.CompletedTask;

    public override void Write(char value) => throw new NotSupportedException("exec output is written asynchronously");

    private async Task SendAsync(ReadOnlyMemory<char> chars)
    {
        if (chars.IsEmpty)
        {
            return;
        }

        var bytes = new byte[encoder.GetByteCount(chars.Span, flush: false)];
        var count = encoder.GetBytes(chars.Span, bytes, flush: false);
        if (count == 0)
        {
            return;
        }

        var data = ByteString.CopyFrom(bytes, 0, count);
        var message = isError ? new ExecResponse { Stderr = data } : new ExecResponse { Stdout = data };
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await output.WriteAsync(message, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }
}
