using Google.Protobuf;
using Grpc.Core;
using Nanokit.Server.Api.V1;

namespace Nanokit.Server.Api;

/// <summary>
/// The command's stdout or stderr as ExecResponse messages, the bytes unchanged: each write the runtime makes (at most
/// its own buffer, 16 KiB) becomes one message, so a message stays far below the size limit. A runtime may write both
/// streams at once (the local runtime copies them concurrently) and a gRPC stream takes one write at a time, hence the
/// shared gate. Only the asynchronous writes the runtimes use are served; a synchronous one would block a thread on
/// the network.
/// </summary>
internal sealed class ExecOutput(IServerStreamWriter<ExecResponse> output, SemaphoreSlim gate, bool isError, CancellationToken cancellationToken) : Stream
{
    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken token = default) => new(SendAsync(buffer));

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken token) => SendAsync(buffer.AsMemory(offset, count));

    /// <summary>Nothing is buffered here: each write is a message already.</summary>
    public override Task FlushAsync(CancellationToken token) => Task.CompletedTask;

    public override void Flush()
    {
    }

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("exec output is written asynchronously");

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    private async Task SendAsync(ReadOnlyMemory<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return;
        }

        // Copied: the runtime reuses its buffer for the next read while this message may still wait at the gate.
        var data = ByteString.CopyFrom(bytes.Span);
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
