using System.Runtime.CompilerServices;
using System.Text;
using Nanokit.Runtime;

namespace Nanokit.Providers.Local;

/// <summary>
/// Log rotation and reading. The log pump appends to <c>&lt;slot&gt;.log</c> with O_APPEND, each line with its time
/// (<see cref="LogPump"/>); reading strips the time unless asked for it. Rotation happens in two places:
/// at replica start nothing writes the file, so it is renamed (<c>.log</c> → <c>.1</c> → ... → <c>.N</c>, oldest dropped);
/// while a replica runs, observation rotates by copy-then-truncate (logrotate's copytruncate) because renaming would
/// leave the pump writing into <c>.1</c>. Lines written between the copy and the truncate can be lost; that is the
/// price of a pump that outlives nkapp and so cannot be told to reopen its file.
/// </summary>
internal static class LogFiles
{
    /// <summary>The bytes the pump puts before each line (<c>2026-12-02T05:15:00.123456Z </c>).</summary>
    private const int StampBytes = 28;

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
    /// copytruncate rotation, or a new file) is read again from its start. <see cref="LogReadOptions.Since"/> drops the
    /// lines stored before it (and those stored without a time) before the tail is counted, as <c>docker logs</c> does.
    /// </summary>
    public static async IAsyncEnumerable<string> ReadAsync(
        string path, LogReadOptions options, TimeSpan pollInterval, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var (tail, follow) = (options.Tail, options.Follow);
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
                    lines.AddRange(all[..end].Split('\n').Select(l => Shape(l.TrimEnd('\r'), options)).OfType<string>());
                    pending.Clear().Append(all[(end + 1)..]);
                }
            }

            var emit = first && tail is { } n ? LastLines(path, lines, n, options) : lines;
            first = false;
            foreach (var line in emit)
            {
                yield return line;
            }

            if (!follow)
            {
                if (pending.Length > 0 && Shape(pending.ToString(), options) is { } last)
                {
                    yield return last;
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
    private static IEnumerable<string> LastLines(string path, List<string> current, int count, LogReadOptions options)
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
            var lines = ReadLinesShared($"{path}.{i}").Select(l => Shape(l, options)).OfType<string>().ToList();
            older.InsertRange(0, lines.Skip(Math.Max(0, lines.Count - (count - current.Count - older.Count))));
        }

        return older.Concat(current);
    }

    /// <summary>A stored line as <paramref name="options"/> ask for it: without its time unless timestamps are asked for; null when <see cref="LogReadOptions.Since"/> drops it.</summary>
    private static string? Shape(string stored, LogReadOptions options)
    {
        var (time, stamp, text) = LogPump.Parse(stored);
        if (options.Since is { } since && (time is null || time < since))
        {
            return null;
        }

        return options.Timestamps && time is not null ? stamp + " " + text : text;
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

    /// <summary>
    /// At most the last <paramref name="chars"/> characters written to <paramref name="path"/> after byte
    /// <paramref name="offset"/>, without the times the pump stored: a hook's output.
    /// </summary>
    public static string ReadTailChars(string path, long offset, int chars)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var length = stream.Length;
            var start = Math.Min(offset, length);
            // Up to 4 bytes a character, and in the worst case (one character a line) a stamp for every character.
            var from = Math.Max(start, length - ((4L + StampBytes) * chars));
            stream.Position = from;
            using var reader = new StreamReader(stream, Encoding.UTF8);
            var read = reader.ReadToEnd();
            // Started inside a line (past the hook's first): that line's time is cut, so the line is left out.
            var whole = from > start && read.IndexOf('\n') is var cut and >= 0 ? read[(cut + 1)..] : read;
            var text = string.Concat(whole.Split('\n').Select((line, i) => (i == 0 ? "" : "\n") + LogPump.Parse(line).Text));
            return text.Length > chars ? text[^chars..] : text;
        }
        catch (FileNotFoundException)
        {
            return "";
        }
    }
}
