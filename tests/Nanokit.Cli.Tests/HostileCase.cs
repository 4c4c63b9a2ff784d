using System.Text.RegularExpressions;

namespace Nanokit.Cli.Tests;

/// <summary>
/// One case of <c>tests/hostile</c>: its <c>case</c> file read into what to run and what must come out.
/// The format is documented in tests/hostile/README.md; an unknown key or a missing one is an error, so a typo
/// cannot silently turn a check off.
/// </summary>
internal sealed record HostileCase(
    string Name,
    string Directory,
    string[] Args,
    int Exit,
    Regex[] Stderr,
    Regex[] Stdout,
    string[] Absent,
    TimeSpan MaxTime,
    long MaxMemoryKiB)
{
    private static readonly HashSet<string> Keys = ["args", "exit", "stderr", "stdout", "absent", "seconds", "memory-mib"];

    public static HostileCase Read(string directory)
    {
        var name = Path.GetFileName(directory);
        var values = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var lineNumber = 0;
        foreach (var line in File.ReadLines(Path.Combine(directory, "case")))
        {
            lineNumber++;
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var colon = line.IndexOf(':');
            var key = colon < 0 ? line : line[..colon];
            if (colon < 0 || !Keys.Contains(key))
            {
                throw new FormatException($"{name}/case:{lineNumber}: expected one of {string.Join(", ", Keys)} followed by ':'");
            }

            if (!values.TryGetValue(key, out var list))
            {
                values[key] = list = [];
            }

            list.Add(line[(colon + 1)..].Trim());
        }

        string Single(string key) => values.TryGetValue(key, out var v) && v.Count == 1
            ? v[0]
            : throw new FormatException($"{name}/case: \"{key}:\" must be given exactly once");
        Regex[] Patterns(string key) => values.TryGetValue(key, out var v) ? [.. v.Select(p => new Regex(p, RegexOptions.Multiline))] : [];

        var result = new HostileCase(
            name,
            directory,
            Single("args").Split(' ', StringSplitOptions.RemoveEmptyEntries),
            int.Parse(Single("exit")),
            Patterns("stderr"),
            Patterns("stdout"),
            values.TryGetValue("absent", out var absent) ? [.. absent] : [],
            TimeSpan.FromSeconds(double.Parse(Single("seconds"), System.Globalization.CultureInfo.InvariantCulture)),
            long.Parse(Single("memory-mib")) * 1024);
        if (result.Stderr.Length + result.Stdout.Length == 0)
        {
            throw new FormatException($"{name}/case: give the message it must print with \"stderr:\" or \"stdout:\"");
        }

        return result;
    }
}
