using System.Collections;
using System.Diagnostics;

namespace Nanokit.Cli;

/// <summary>What a command may touch of the outside world; tests pass their own.</summary>
public sealed record CliContext(TextWriter Out, TextWriter Error, string WorkingDirectory, IReadOnlyDictionary<string, string> Environment)
{
    /// <summary>When the command started (a <see cref="Stopwatch"/> timestamp): elapsed times count from here, as the user waits.</summary>
    public long Started { get; init; } = Stopwatch.GetTimestamp();

    /// <summary>What <c>exec -i</c> passes to the command; null: nkapp's standard input.</summary>
    public Stream? Input { get; init; }

    /// <summary>
    /// Where <c>exec</c> and <c>run</c> write the command's stdout, byte for byte (<see cref="Out"/> is nkapp's own text;
    /// both reach the same descriptor, <see cref="Out"/> flushing each write, so their order holds).
    /// </summary>
    public Stream OutStream { get; init; } = Console.OpenStandardOutput();

    /// <summary>Where <c>exec</c> and <c>run</c> write the command's stderr, byte for byte, as <see cref="OutStream"/>.</summary>
    public Stream ErrorStream { get; init; } = Console.OpenStandardError();

    /// <summary>Time since <see cref="Started"/>.</summary>
    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(Started);

    public static IReadOnlyDictionary<string, string> ReadProcessEnvironment()
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in System.Environment.GetEnvironmentVariables())
        {
            env[(string)entry.Key] = (string?)entry.Value ?? "";
        }

        return env;
    }
}
