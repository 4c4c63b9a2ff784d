using System.Globalization;
using System.Runtime.InteropServices;

namespace Nanokit.Runtime;

/// <summary>
/// Keeps the caller's open file descriptors out of everything nkapp starts. .NET opens all of its own descriptors
/// close-on-exec, so the only ones a child could inherit are those nkapp itself inherited from whoever started it
/// (a shell's <c>exec 3&gt;&amp;1</c>, a CI runner's pipes). A detached service holding one of those would keep a pipe
/// open long after nkapp exited, so <c>(nkapp up) | cat</c> would never end. Before each spawn every descriptor
/// above 2 is marked close-on-exec; nkapp keeps them open for itself, only children lose them. The child's 0, 1
/// and 2 are set by whoever spawns it (the local wrapper points them at /dev/null and the log file).
/// </summary>
internal static partial class InheritedDescriptors
{
    private const int GetFlags = 1;
    private const int SetFlags = 2;
    private const int CloseOnExec = 1;

    public static void MarkCloseOnExec()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        foreach (var entry in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            // The directory's own descriptor is listed too and is gone by the time fcntl runs: that call just fails.
            if (int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var fd) && fd > 2
                && Fcntl(fd, GetFlags, 0) is var flags and >= 0 && (flags & CloseOnExec) == 0)
            {
                Fcntl(fd, SetFlags, flags | CloseOnExec);
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "fcntl")]
    private static partial int Fcntl(int fd, int command, int argument);
}
