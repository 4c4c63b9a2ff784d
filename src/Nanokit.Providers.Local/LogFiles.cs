using System.Runtime.CompilerServices;
using System.Text;

namespace Nanokit.Providers.Local;

/// <summary>
/// Log rotation and reading. The wrapper appends to <c>&lt;slot&gt;.log</c> with O_APPEND. Rotation happens in two places:
/// at replica start nothing writes the file, so it is renamed (<c>.log</c> → <c>.1</c> → ... → <c>.N</c>, oldest dropped);
/// while a replica runs, observation rotates by copy-then-truncate (logrotate's copytruncate) because renaming would
/// leave the process writing into <c>.1</c>. Lines written between the copy and the truncate can be lost; that is the
/// price of not putting a log-pumping process between the service and its file.
/// </summary>
internal static class LogFiles
{
    public static void RotateIfLarge(string path, long maxBytes, int keep, bool processIsWriting)
    {
        var info = new FileInfo(path);
        if (!info.Exists || info.Length <= maxBytes)
        {
            return;
        }

        File.Delete($"{path}.{keep}");
        for (var i = keep - 1; i >= 1; i--)
        {
            if (File.Exists($"{path}.{i}"))
            {
                File.Move($"{path}.{i}", $"{path}.{i + 1}");
            }
        }

        if (processIsWriting)
        {
            File.Copy(path, $"{path}.1");
            using var truncate = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
            truncate.SetLength(0);
        }
        else
        {
            File.Move(path, $"{path}.1");
        }
    }

    /// <summary>
    /// The last <paramref name="tail"/> lines, then (when following) new lines as they are appended. Each poll reopens the
    /// path, so a rename rotation is followed to the new file, and a file shorter than what was read (truncated by a
    /// copytruncate rotation, or a new file) is read again from its start.
    /// </summary>
    public static async IAsyncEnumerable<string> ReadAsync(
        string path, int? tail, bool follow, TimeSpan pollInterval, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        long position = 0;
        var pending = new StringBuilder();
        var decoder = Encoding.UTF8.GetDecoder();
        var first = true;
        while (true)
        {
            var lines = new List<string>();
            if (File.Exists(path))
            {
                await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                var length = stream.Length;
                if (length < position)
                {
                    position = 0;
                    pending.Clear();
                    decoder.Reset();
                }

                var bytes = new byte[length - position];
                stream.Position = position;
                await stream.ReadExactlyAsync(bytes, cancellationToken).ConfigureAwait(false);
                position = length;
                var chars = new char[decoder.GetCharCount(bytes, flush: false)];
                decoder.GetChars(bytes, chars, flush: false);
                pending.Append(chars);
                var all = pending.ToString();
                var end = all.LastIndexOf('\n');
                if (end >= 0)
                {
                    lines.AddRange(all[..end].Split('\n'));
                    pending.Clear().Append(all[(end + 1)..]);
                }
            }

            var emit = first && tail is { } n ? lines.Skip(Math.Max(0, lines.Count - n)) : lines;
            first = false;
            foreach (var line in emit)
            {
                yield return line.TrimEnd('\r');
            }

            if (!follow)
            {
                if (pending.Length > 0)
                {
                    yield return pending.ToString();
                }

                yield break;
            }

            await Task.Delay(pollInterval, cancellationToken).ConfigureAwait(false);
        }
    }
}
