using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Nanokit.Persistence.Journal;

namespace Nanokit.Benchmarks;

/// <summary>
/// Listens to the group-commit plugins' instruments (<see cref="JournalMetrics"/>) for one phase of a benchmark and
/// renders what they saw: how many operations, and how many events or requests each carried on average and at most.
/// </summary>
internal sealed class JournalCounters : IDisposable
{
    private readonly MeterListener listener = new();
    private readonly ConcurrentDictionary<string, Tally> tallies = new(StringComparer.Ordinal);

    public JournalCounters()
    {
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == JournalMetrics.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) =>
        {
            var name = instrument.Name;
            foreach (var tag in tags)
            {
                name += $" {tag.Key}={tag.Value}";
            }

            tallies.GetOrAdd(name, _ => new Tally()).Add(value);
        });
        listener.Start();
    }

    /// <summary>Tallies since the last call, e.g. <c>nanokit.journal.commit.events: 25 ops, mean 800, max 1000</c>; empty for other journals.</summary>
    public string Take()
    {
        var lines = tallies.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => t.Value.Take(t.Key)).Where(l => l.Length > 0);
        return string.Join(Environment.NewLine, lines.Select(l => "    " + l));
    }

    public void Dispose() => listener.Dispose();

    private sealed class Tally
    {
        private long count;
        private long sum;
        private long max;

        public void Add(int value)
        {
            lock (this)
            {
                count++;
                sum += value;
                max = Math.Max(max, value);
            }
        }

        public string Take(string name)
        {
            lock (this)
            {
                var text = count == 0 ? "" : $"{name}: {count:N0} ops, mean {(double)sum / count:F1}, max {max:N0}";
                (count, sum, max) = (0, 0, 0);
                return text;
            }
        }
    }
}
