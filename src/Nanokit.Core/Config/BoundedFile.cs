using System.Runtime.InteropServices;
using System.Text;

namespace Nanokit.Core.Config;

/// <summary>
/// Reads an input file only when it is a regular file, and never more than a limit.
/// Design note: opening a FIFO blocks until a writer appears, and <c>/dev/zero</c> or a growing file never
/// ends, so the type is checked with <c>statx(2)</c> (following symlinks, as Compose does) before the file is
/// opened, and the read stops one byte past the limit whatever the size claimed. <c>struct statx</c> has the
/// same layout on every Linux architecture, so one declaration serves x64 and arm64.
/// </summary>
public static partial class BoundedFile
{
    private const int AtFdCwd = -100;
    private const uint StatxType = 0x1;
    private const int ModeOffset = 28;
    private const int StatxSize = 256;
    private const int Enoent = 2;
    private const int Enotdir = 20;

    /// <summary>
    /// The text of <paramref name="path"/>, or a problem that names what is wrong without quoting the file.
    /// Both are null when the file does not exist.
    /// </summary>
    public static (string? Text, string? Problem) Read(string path, long maxBytes)
    {
        if (TypeOf(path, out var errno) is not { } type)
        {
            return errno is Enoent or Enotdir ? (null, null) : (null, $"cannot read the file: {Marshal.GetPInvokeErrorMessage(errno)}");
        }

        if (type != FileType.Regular)
        {
            return (null, $"not a regular file ({Describe(type)}); only regular files are read");
        }

        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1);
            var buffer = new byte[(int)Math.Min(maxBytes + 1, Math.Max(stream.Length + 1, 4096))];
            var length = 0;
            while (length <= maxBytes)
            {
                if (length == buffer.Length)
                {
                    Array.Resize(ref buffer, (int)Math.Min(maxBytes + 1, (long)buffer.Length * 2));
                }

                var read = stream.Read(buffer, length, buffer.Length - length);
                if (read == 0)
                {
                    break;
                }

                length += read;
            }

            if (length > maxBytes)
            {
                return (null, $"the file is larger than {LoadLimits.Bytes(maxBytes)}, the most a file of this kind may hold");
            }

            using var reader = new StreamReader(new MemoryStream(buffer, 0, length), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
            return (reader.ReadToEnd(), null);
        }
        catch (FileNotFoundException)
        {
            return (null, null);
        }
        catch (UnauthorizedAccessException)
        {
            return (null, "cannot read the file: permission denied");
        }
        catch (IOException e)
        {
            return (null, $"cannot read the file: {e.Message}");
        }
    }

    private static FileType? TypeOf(string path, out int errno)
    {
        Span<byte> buffer = stackalloc byte[StatxSize];
        if (Statx(AtFdCwd, path, 0, StatxType, ref MemoryMarshal.GetReference(buffer)) != 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return null;
        }

        errno = 0;
        var mode = MemoryMarshal.Read<ushort>(buffer[ModeOffset..]);
        return (FileType)(mode & 0xF000);
    }

    private static string Describe(FileType type) => type switch
    {
        FileType.Directory => "a directory",
        FileType.Fifo => "a FIFO",
        FileType.CharacterDevice => "a character device",
        FileType.BlockDevice => "a block device",
        FileType.Socket => "a socket",
        _ => "a special file",
    };

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int dirfd, string path, int flags, uint mask, ref byte buffer);

    private enum FileType
    {
        Fifo = 0x1000,
        CharacterDevice = 0x2000,
        Directory = 0x4000,
        BlockDevice = 0x6000,
        Regular = 0x8000,
        Socket = 0xC000,
    }
}
