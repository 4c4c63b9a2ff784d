using System.Runtime.CompilerServices;
using System.Text;
using Docker.DotNet;

namespace Nanokit.Providers.Docker;

/// <summary>
/// Lines from a demultiplexed stream (logs, exec): Docker.DotNet splits stdout from stderr, but its reads do not respect
/// line boundaries, so each stream keeps its own partial line and its own UTF-8 decoder (a character may span two reads).
/// </summary>
internal static class LogLines
{
    private const int BufferSize = 16 * 1024;

    /// <summary>Complete lines (without the newline, nor a trailing carriage return), then each stream's unterminated rest.</summary>
    public static async IAsyncEnumerable<string> ReadAsync(MultiplexedStream stream, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var buffer = new byte[BufferSize];
        var partial = new Dictionary<MultiplexedStream.TargetStream, (StringBuilder Line, Decoder Decoder)>();
        var chars = new char[Encoding.UTF8.GetMaxCharCount(BufferSize)];
        while (true)
        {
            // On the thread pool: the library's transport resumes on the caller's scheduler otherwise (see DockerEngine.OffContext).
            var read = await Task.Run(() => stream.ReadOutputAsync(buffer, 0, buffer.Length, cancellationToken), CancellationToken.None).ConfigureAwait(false);
            if (read.EOF)
            {
                break;
            }

            if (!partial.TryGetValue(read.Target, out var state))
            {
                partial[read.Target] = state = (new StringBuilder(), Encoding.UTF8.GetDecoder());
            }

            var count = state.Decoder.GetChars(buffer, 0, read.Count, chars, 0);
            for (var i = 0; i < count; i++)
            {
                if (chars[i] == '\n')
                {
                    yield return Trimmed(state.Line);
                    state.Line.Clear();
                }
                else
                {
                    state.Line.Append(chars[i]);
                }
            }
        }

        foreach (var (line, _) in partial.Values.Where(s => s.Line.Length > 0))
        {
            yield return Trimmed(line);
        }
    }

    private static string Trimmed(StringBuilder line) =>
        line.Length > 0 && line[^1] == '\r' ? line.ToString(0, line.Length - 1) : line.ToString();
}
