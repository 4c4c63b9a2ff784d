using System.Text;
using Xunit;

namespace Nanokit.TestSupport;

/// <summary>
/// A shell command whose stdout is every byte value, then bytes that are not UTF-8 (a lone 0xFF 0xFE, an overlong
/// 0xC0 0x80, and the first two bytes of a three-byte character as its very end), and whose stderr is other bytes
/// that are not UTF-8 either: what <c>exec db pg_dump -Fc &gt; db.dump</c> relies on arriving unchanged. Written with
/// printf's octal escapes, which both dash and busybox sh read.
/// </summary>
public static class BinaryOutput
{
    /// <summary>What the command exits with, so a test sees the exit code passed through beside the bytes.</summary>
    public const int ExitCode = 7;

    public static byte[] Stdout { get; } = [.. Enumerable.Range(0, 256).Select(b => (byte)b), 0xFF, 0xFE, 0xC0, 0x80, 0xE2, 0x82];

    public static byte[] Stderr { get; } = [.. Encoding.ASCII.GetBytes("to stderr: caf"), 0xE9, 0x0A];

    /// <summary>The script for <c>sh -c</c>.</summary>
    public static string Script { get; } =
        $"printf '{Octal(Stdout)}'; printf '{Octal(Stderr)}' >&2; exit {ExitCode}";

    /// <summary>Asserts that a run of <see cref="Script"/> gave back its exit code and both streams byte for byte.</summary>
    public static void AssertPassedThrough((int Exit, byte[] Out, byte[] Error) result)
    {
        Assert.Equal(ExitCode, result.Exit);
        Assert.Equal(Stdout, result.Out);
        Assert.Equal(Stderr, result.Error);
    }

    private static string Octal(byte[] bytes) =>
        string.Concat(bytes.Select(b => "\\" + Convert.ToString(b, 8).PadLeft(3, '0')));
}
