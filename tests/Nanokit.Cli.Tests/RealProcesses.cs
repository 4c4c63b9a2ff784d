using System.Diagnostics;
using System.Text;

namespace Nanokit.Cli.Tests;

/// <summary>
/// Counts the OS processes a test's services run, by their exact command line (each test gives its services
/// unique <c>sleep</c> arguments), and kills stragglers when a test ends.
/// </summary>
internal static class RealProcesses
{
    public static int Count(params string[] argv) => Pids(argv).Count;

    /// <summary>The live processes whose command line is exactly <paramref name="argv"/>.</summary>
    public static List<int> Pids(params string[] argv)
    {
        var wanted = string.Join('\0', argv) + "\0";
        var pids = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            try
            {
                if (Encoding.UTF8.GetString(File.ReadAllBytes(Path.Combine(dir, "cmdline"))) == wanted && !IsZombie(dir))
                {
                    pids.Add(pid);
                }
            }
            catch (IOException)
            {
                // The process ended while we looked.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return pids;
    }

    /// <summary>The process group of <paramref name="pid"/> (field 5 of /proc/PID/stat).</summary>
    public static int Group(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[2], System.Globalization.CultureInfo.InvariantCulture);
    }

    public static void KillAll(string marker)
    {
        using var pkill = Process.Start("pkill", ["-9", "-f", marker]);
        pkill.WaitForExit();
    }

    private static bool IsZombie(string dir)
    {
        var stat = File.ReadAllText(Path.Combine(dir, "stat"));
        return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
    }
}
