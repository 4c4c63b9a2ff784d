using System.CommandLine;
using Nanokit.Core.Config;
using Nanokit.Runtime;

namespace Nanokit.Cli;

/// <summary>Options whose values are read as the file reads them, with messages in the user's words, never a .NET type's.</summary>
internal static class CliValues
{
    /// <summary>A duration in the file's syntax (<c>5s</c>, <c>1m30s</c>, <c>500ms</c>).</summary>
    public static Option<TimeSpan?> Duration(string name, string description, params string[] aliases) =>
        new(name, aliases)
        {
            Description = description,
            HelpName = "DURATION",
            CustomParser = result =>
            {
                var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
                if (Durations.TryParse(text, out var value))
                {
                    return value;
                }

                result.AddError($"{name}: '{text}' is not a duration (write it as in the file: 5s, 1m30s, 500ms)");
                return null;
            },
        };

    /// <summary>
    /// How long a replica is given to stop before it is killed (<c>down -t</c>, <c>stop -t</c>): a duration as in the
    /// file, or a whole number of seconds as Compose's <c>-t 10</c> means it; at most <see cref="StopTimeouts.Longest"/>.
    /// </summary>
    public static Option<TimeSpan?> StopTimeout(string description) =>
        new("--timeout", "-t")
        {
            Description = description,
            HelpName = "DURATION",
            CustomParser = result =>
            {
                var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
                double? seconds = long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var whole)
                    ? whole
                    : Durations.TryParse(text, out var duration) ? duration.TotalSeconds : null;
                if (seconds is null)
                {
                    result.AddError($"--timeout: '{text}' is not a duration (5s, 1m30s, or whole seconds as Compose writes them: 10)");
                    return null;
                }

                if (StopTimeouts.Check(seconds.Value) is { } why)
                {
                    result.AddError($"--timeout: '{text}': {why}");
                    return null;
                }

                return TimeSpan.FromSeconds(seconds.Value);
            },
        };

    /// <summary>
    /// An instant as <c>logs --since</c> takes it: a duration in the file's syntax back from now (<c>10m</c>, <c>1m30s</c>)
    /// or an RFC 3339 timestamp (<c>2026-01-02T15:04:05Z</c>, fractions and offsets allowed).
    /// </summary>
    public static Option<DateTimeOffset?> Instant(string name, string description, TimeProvider time) =>
        new(name)
        {
            Description = description,
            HelpName = "DURATION|TIMESTAMP",
            CustomParser = result =>
            {
                var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
                if (Durations.TryParse(text, out var ago) && ago >= TimeSpan.Zero)
                {
                    return time.GetUtcNow() - ago;
                }

                if (Nanokit.Runtime.LogTimes.TryParse(text, out var at))
                {
                    return at;
                }

                result.AddError($"{name}: '{text}' is neither a duration (10m, 1m30s) nor an RFC 3339 timestamp (2026-01-02T15:04:05Z)");
                return null;
            },
        };

    /// <summary>A count that cannot be negative (<c>--tail</c>).</summary>
    public static Option<int?> Count(string name, string description, params string[] aliases) =>
        new(name, aliases)
        {
            Description = description,
            HelpName = "N",
            CustomParser = result =>
            {
                var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
                if (text == "all")
                {
                    return null;
                }

                if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value))
                {
                    return value;
                }

                result.AddError($"{name}: '{text}' is not a count (a whole number, 0 or more, or all)");
                return null;
            },
        };
}
