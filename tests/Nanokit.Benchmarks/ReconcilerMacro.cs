using System.Globalization;

namespace Nanokit.Benchmarks;

/// <summary>
/// The reconciler's macro benchmarks: one whole run per process, timed once, which BenchmarkDotNet's
/// many-invocation harness does not fit (a 10 k-project run is one 10-second operation whose peak memory is part
/// of the result). <c>scale</c> is <see cref="ReconcilerScale"/>, <c>latency</c> is <see cref="ReconcilerLatency"/>,
/// <c>journal</c> is <see cref="ReconcilerJournalSize"/>, <c>persist</c> is <see cref="ReconcilerPersist"/>, <c>idle</c> is <see cref="ReconcilerIdle"/>; options are <c>--name value</c> pairs.
/// <c>scripts/bench-scale.sh</c> repeats the first two and prints medians.
/// </summary>
internal static class ReconcilerMacro
{
    public static bool Handles(string[] args) => args is ["scale" or "latency" or "journal" or "persist" or "idle", ..];

    public static int Run(string[] args)
    {
        var arguments = new Arguments(args[1..]);
        var run = args[0] switch
        {
            "scale" => ReconcilerScale.RunAsync(arguments),
            "latency" => ReconcilerLatency.RunAsync(arguments),
            "persist" => ReconcilerPersist.RunAsync(arguments),
            "idle" => ReconcilerIdle.RunAsync(arguments),
            _ => ReconcilerJournalSize.RunAsync(arguments),
        };
        return run.GetAwaiter().GetResult();
    }

    internal sealed class Arguments
    {
        private readonly Dictionary<string, string> values = new(StringComparer.Ordinal);

        public Arguments(string[] args)
        {
            for (var i = 0; i < args.Length; i += 2)
            {
                if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 == args.Length)
                {
                    throw new ArgumentException($"expected --name value pairs, got '{string.Join(' ', args)}'");
                }

                values[args[i][2..]] = args[i + 1];
            }
        }

        public int Int(string name, int fallback) =>
            values.TryGetValue(name, out var text) ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;

        public string Text(string name, string fallback) => values.GetValueOrDefault(name) ?? fallback;

        public ReconcilerJournal Journal() =>
            values.TryGetValue("journal", out var text) ? Enum.Parse<ReconcilerJournal>(text, ignoreCase: true) : ReconcilerJournal.Sqlite;

        /// <summary>HOCON laid over the node's configuration (--hocon), e.g. a journal setting under test.</summary>
        public string Hocon() => values.GetValueOrDefault("hocon") ?? "";

        /// <summary>Where the journal's directory is made (--dir): the system temp directory unless told, on the real disk here.</summary>
        public string Directory() => values.GetValueOrDefault("dir") ?? Path.GetTempPath();
    }
}
