using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Nanokit.Core.Config;

/// <summary>
/// The files of a build context the builder sees, as the Docker CLI chooses them: every file under the context except
/// what <c>.dockerignore</c> excludes. Its basics: one pattern per line, <c>#</c> comments, <c>*</c> and <c>?</c> within a
/// path segment, <c>**</c> across segments, a leading <c>!</c> re-including, the last matching line deciding; a pattern
/// that matches a directory matches everything under it. The Dockerfile is always sent, as the CLI does.
/// Nanokit's own state directory (<c>.nanokit</c>, wherever it is under the context) is never part of it: its files
/// change on every run (a context hash over them would rebuild every time) and its lock is held while a build runs.
/// The same list feeds the context hash (the loader) and the tar sent to the daemon (the Docker runtime).
/// </summary>
public static class BuildContextFiles
{
    private const string StateDirectory = ".nanokit";

    /// <summary>Relative paths with '/' separators, in ordinal order.</summary>
    public static IReadOnlyList<string> List(string contextDirectory, string dockerfile)
    {
        var rules = Rules(Path.Combine(contextDirectory, ".dockerignore"));
        var dockerfilePath = dockerfile.Replace('\\', '/').TrimStart('.', '/');
        var files = new List<string>();
        foreach (var full in Directory.EnumerateFiles(contextDirectory, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false }))
        {
            var relative = Path.GetRelativePath(contextDirectory, full).Replace('\\', '/');
            if (relative.Split('/').Contains(StateDirectory))
            {
                continue;
            }

            if (relative == dockerfilePath || !Excluded(relative, rules))
            {
                files.Add(relative);
            }
        }

        files.Sort(StringComparer.Ordinal);
        return files;
    }

    /// <summary>SHA-256 over each sent file's path, executable bit and content, and the build's own settings: what makes a rebuild differ.</summary>
    public static string Hash(string contextDirectory, string dockerfile)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[64 * 1024];
        foreach (var relative in List(contextDirectory, dockerfile))
        {
            var full = Path.Combine(contextDirectory, relative);
            hash.AppendData(Encoding.UTF8.GetBytes(relative + "\0"));
            if (!OperatingSystem.IsWindows())
            {
                var executable = (File.GetUnixFileMode(full) & UnixFileMode.UserExecute) != 0;
                hash.AppendData(executable ? "x\0"u8 : "-\0"u8);
            }

            using var stream = File.OpenRead(full);
            int read;
            while ((read = stream.Read(buffer)) > 0)
            {
                hash.AppendData(buffer.AsSpan(0, read));
            }

            hash.AppendData("\0"u8);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static List<(Regex Pattern, bool Include)> Rules(string ignoreFile)
    {
        var rules = new List<(Regex, bool)>();
        if (!File.Exists(ignoreFile))
        {
            return rules;
        }

        foreach (var raw in File.ReadAllLines(ignoreFile))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var include = line[0] == '!';
            var pattern = (include ? line[1..] : line).Trim().Replace('\\', '/').Trim('/');
            while (pattern.StartsWith("./", StringComparison.Ordinal))
            {
                pattern = pattern[2..];
            }

            if (pattern.Length > 0)
            {
                rules.Add((new Regex("^" + ToRegex(pattern) + "$", RegexOptions.CultureInvariant), include));
            }
        }

        return rules;
    }

    private static string ToRegex(string pattern)
    {
        var regex = new StringBuilder();
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '*' && i + 1 < pattern.Length && pattern[i + 1] == '*')
            {
                // "**/" matches any number of directories, including none.
                var slash = i + 2 < pattern.Length && pattern[i + 2] == '/';
                regex.Append(slash ? "(.*/)?" : ".*");
                i += slash ? 2 : 1;
            }
            else
            {
                regex.Append(c switch
                {
                    '*' => "[^/]*",
                    '?' => "[^/]",
                    _ => Regex.Escape(c.ToString()),
                });
            }
        }

        return regex.ToString();
    }

    private static bool Excluded(string relative, List<(Regex Pattern, bool Include)> rules)
    {
        var excluded = false;
        foreach (var (pattern, include) in rules)
        {
            if (MatchesSelfOrParent(pattern, relative))
            {
                excluded = !include;
            }
        }

        return excluded;
    }

    private static bool MatchesSelfOrParent(Regex pattern, string relative)
    {
        if (pattern.IsMatch(relative))
        {
            return true;
        }

        for (var slash = relative.IndexOf('/', StringComparison.Ordinal); slash > 0; slash = relative.IndexOf('/', slash + 1))
        {
            if (pattern.IsMatch(relative[..slash]))
            {
                return true;
            }
        }

        return false;
    }
}
