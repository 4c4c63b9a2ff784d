using System.Globalization;

namespace Nanokit.Providers.Local;

/// <summary>One line of <c>/proc/&lt;pid&gt;/stat</c>: what identity and liveness checks need.</summary>
internal readonly record struct ProcStat(int Pid, char State, int ProcessGroup, long StartTicks)
{
    /// <summary>Zombies count as gone: in a container whose init does not reap, an exited process can stay a zombie forever.</summary>
    public bool IsLive => State is not ('Z' or 'X' or 'x');
}

/// <summary>Who a tracked process is: its pid, its start time and the boot it started in (see <see cref="ProcTable"/>).</summary>
internal readonly record struct ProcessIdentity(int Pid, long StartTicks, string BootId);

/// <summary>
/// Reads <c>/proc</c>. A process is identified by pid plus start time (field 22 of stat, clock ticks since boot)
/// plus the boot id, so a pid reused by another process, or after a reboot, is never mistaken for ours.
/// </summary>
internal static class ProcTable
{
    private static readonly Lazy<string> BootIdValue = new(() =>
        File.Exists("/proc/sys/kernel/random/boot_id") ? File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim() : "unknown");

    public static string BootId => BootIdValue.Value;

    public static ProcStat? Read(int pid)
    {
        try
        {
            return Parse(pid, File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Every process now; one scan serves a whole observation (group membership needs all of them).</summary>
    public static IReadOnlyList<ProcStat> Snapshot()
    {
        var result = new List<ProcStat>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                && Read(pid) is { } stat)
            {
                result.Add(stat);
            }
        }

        return result;
    }

    /// <summary>A process's arguments joined by spaces, as <c>ps</c> shows them; its name in brackets when it has none (a kernel thread, a zombie).</summary>
    public static string CommandLine(int pid)
    {
        var proc = $"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/";
        try
        {
            var arguments = File.ReadAllText(proc + "cmdline").TrimEnd('\0').Replace('\0', ' ');
            return arguments.Length > 0 ? arguments : $"[{File.ReadAllText(proc + "comm").Trim()}]";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    /// <summary>Parses stat text. The command name (field 2) may hold spaces and parentheses, so fields are counted after the last ')'.</summary>
    internal static ProcStat? Parse(int pid, string text)
    {
        var close = text.LastIndexOf(')');
        if (close < 0)
        {
            return null;
        }

        // After ')' come field 3 (state) onwards: pgrp is field 5, starttime field 22.
        var fields = text[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 20
            || !int.TryParse(fields[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out var group)
            || !long.TryParse(fields[19], NumberStyles.Integer, CultureInfo.InvariantCulture, out var start))
        {
            return null;
        }

        return new ProcStat(pid, fields[0][0], group, start);
    }
}
