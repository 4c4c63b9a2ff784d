using System.Runtime.InteropServices;

namespace Nanokit.Providers.Local;

/// <summary>The few POSIX calls .NET does not expose: signalling a whole process group.</summary>
internal static partial class Posix
{
    public const int SigTerm = 15;
    public const int SigKill = 9;

    /// <summary>Sends <paramref name="signal"/> to every process in group <paramref name="processGroup"/>; false when the group is empty.</summary>
    public static bool SignalGroup(int processGroup, int signal) =>
        processGroup > 1 && Kill(-processGroup, signal) == 0;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
