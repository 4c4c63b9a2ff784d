using System.Globalization;
using System.Text.RegularExpressions;

namespace Nanokit.Runtime;

/// <summary>
/// The RFC 3339 times of log lines, as providers write them before a line when <see cref="LogReadOptions.Timestamps"/>
/// asks (Docker with nanoseconds, the local runtime with microseconds) and as users and the API give <c>since</c>.
/// </summary>
public static partial class LogTimes
{
    /// <summary>RFC 3339 with a mandatory zone; fractions beyond .NET's 100 ns (Docker writes nanoseconds) are cut.</summary>
    public static bool TryParse(string text, out DateTimeOffset value)
    {
        var match = Rfc3339().Match(text);
        value = default;
        if (!match.Success)
        {
            return false;
        }

        var fraction = match.Groups[2].Value;
        var normal = match.Groups[1].Value.ToUpperInvariant() + "." + (fraction.Length > 7 ? fraction[..7] : fraction).PadRight(7, '0')
                     + (match.Groups[3].Value is "Z" or "z" ? "+00:00" : match.Groups[3].Value);
        return DateTimeOffset.TryParseExact(normal, "yyyy-MM-dd'T'HH:mm:ss.fffffffzzz", CultureInfo.InvariantCulture, DateTimeStyles.None, out value);
    }

    /// <summary>
    /// A line read with timestamps split into its time, exactly as the provider wrote it, and its text; a line that
    /// does not start with a time and a space (one a provider stored without a time) is all text.
    /// </summary>
    public static (string Time, string Text) Split(string line)
    {
        var space = line.IndexOf(' ', StringComparison.Ordinal);
        return space > 0 && TryParse(line[..space], out _) ? (line[..space], line[(space + 1)..]) : ("", line);
    }

    /// <summary>An instant as RFC 3339 in UTC to the tick (100 ns): what <see cref="TryParse"/> reads back unchanged.</summary>
    public static string Format(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^(\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex Rfc3339();
}
