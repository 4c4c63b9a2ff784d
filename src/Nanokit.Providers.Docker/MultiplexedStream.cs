using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace Nanokit.Providers.Docker;

/// <summary>
/// Docker's stdout/stderr multiplexing (logs, attach and exec of a container without a TTY): each frame is an 8-byte
/// header — stream type (0 stdin, 1 stdout, 2 stderr), three zero bytes, payload size as big-endian uint32 — then
/// the payload. Frames do not respect line boundaries, so each stream keeps its own partial line.
/// </summary>
internal static class MultiplexedStream
{
    public const int HeaderSize = 8;

    /// <summary>Frames as (stream type, payload) until the end of <paramref name="stream"/>.</summary>
    public static async IAsyncEnumerable<(byte Stream, byte[] Payload)> ReadFramesAsync(
        Stream stream, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var header = new byte[HeaderSize];
        while (await ReadExactlyOrEndAsync(stream, header, cancellationToken).ConfigureAwait(false))
        {
            var size = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(4));
            var payload = new byte[size];
            if (!await ReadExactlyOrEndAsync(stream, payload, cancellationToken).ConfigureAwait(false))
            {
                yield break;
            }

            yield return (header[0], payload);
        }
    }

    /// <summary>Complete lines from the demultiplexed stdout and stderr (without the newline), then each stream's unterminated rest.</summary>
    public static async IAsyncEnumerable<string> ReadLinesAsync(Stream stream, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var partial = new Dictionary<byte, StringBuilder>();
        var decoders = new Dictionary<byte, Decoder>();
        await foreach (var (type, payload) in ReadFramesAsync(stream, cancellationToken).ConfigureAwait(false))
        {
            if (!partial.TryGetValue(type, out var line))
            {
                partial[type] = line = new StringBuilder();
                decoders[type] = Encoding.UTF8.GetDecoder();
            }

            var chars = new char[Encoding.UTF8.GetMaxCharCount(payload.Length)];
            var count = decoders[type].GetChars(payload, 0, payload.Length, chars, 0);
            for (var i = 0; i < count; i++)
            {
                var c = chars[i];
                if (c == '\n')
                {
                    yield return Trimmed(line);
                    line.Clear();
                }
                else
                {
                    line.Append(c);
                }
            }
        }

        foreach (var rest in partial.Values.Where(b => b.Length > 0))
        {
            yield return Trimmed(rest);
        }
    }

    private static string Trimmed(StringBuilder line) =>
        line.Length > 0 && line[^1] == '\r' ? line.ToString(0, line.Length - 1) : line.ToString();

    private static async Task<bool> ReadExactlyOrEndAsync(Stream stream, byte[] buffer, CancellationToken cancellationToken)
    {
        var read = await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        return read == buffer.Length;
    }
}
