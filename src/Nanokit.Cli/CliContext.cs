using System.Collections;

namespace Nanokit.Cli;

/// <summary>What a command may touch of the outside world; tests pass their own.</summary>
public sealed record CliContext(TextWriter Out, TextWriter Error, string WorkingDirectory, IReadOnlyDictionary<string, string> Environment)
{
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
