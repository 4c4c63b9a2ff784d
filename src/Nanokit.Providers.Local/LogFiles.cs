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
    /// The last <paramref name="tail"/> lines (reaching back into the rotated files when the current one holds fewer,
    /// as it does right after a rotation emptied it), then (when following) new lines as they are appended. Each poll reopens the
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

            var emit = first && tail is { } n ? LastLines(path, lines, n) : lines;
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

    /// <summary>
    /// The last <paramref name="count"/> lines of the log: those of the current file, preceded by as many as are missing
    /// from <c>.1</c>, <c>.2</c>, ... (newest first). A rotated file is read in full; rotation bounds its size.
    /// </summary>
    private static IEnumerable<string> LastLines(string path, List<string> current, int count)
    {
        if (count <= 0)
        {
            return [];
        }

        if (current.Count >= count)
        {
            return current.Skip(current.Count - count);
        }

        var older = new List<string>();
        for (var i = 1; current.Count + older.Count < count && File.Exists($"{path}.{i}"); i++)
        {
            var lines = ReadLinesShared($"{path}.{i}");
            older.InsertRange(0, lines.Skip(Math.Max(0, lines.Count - (count - current.Count - older.Count))));
        }

        return older.Concat(current);
    }

    private static List<string> ReadLinesShared(string path)
    {
        try
        {
            using var reader = new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete), Encoding.UTF8);
            var lines = new List<string>();
            while (reader.ReadLine() is { } line)
            {
                lines.Add(line);
            }

            return lines;
        }
        catch (FileNotFoundException)
        {
            // Rotated away between the check and the open: it held nothing newer than what the next file holds.
            return [];
        }
    }

    /// <summary>At most the last <paramref name="chars"/> characters written to <paramref name="path"/> after byte <paramref name="offset"/>: a hook's output.</summary>
    public static string ReadTailChars(string path, long offset, int chars)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var length = stream.Length;
            var from = Math.Max(Math.Min(offset, length), length - (4L * chars));
            stream.Position = from;
            using var reader = new StreamReader(stream, Encoding.UTF8);
            var text = reader.ReadToEnd();
            return text.Length > chars ? text[^chars..] : text;
        }
        catch (FileNotFoundException)
        {
            return "";
        }
    }
}
