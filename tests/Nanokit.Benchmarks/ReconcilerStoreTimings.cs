using System.Diagnostics;
using System.Runtime.CompilerServices;
using Nanokit.Persistence.Journal;
using Nanokit.Persistence.Snapshots;

namespace Nanokit.Benchmarks;

/// <summary>
/// Counts the calls the persistent actors make on the journal and snapshot store and sums how long each kind
/// takes to complete, so a scale run can say how much of it is recovery reads versus durable appends without a
/// profiler. Latencies of concurrent calls overlap: a sum is wait time spread across actors, not wall time.
/// </summary>
internal sealed class ReconcilerStoreTimings
{
    private readonly Operation[] operations = [new("append"), new("read events"), new("read highest seq"), new("load snapshot")];

    public Operation Append => operations[0];

    public Operation Read => operations[1];

    public Operation Highest => operations[2];

    public Operation Load => operations[3];

    public IJournal Wrap(IJournal journal) => new TimedJournal(journal, this);

    public ISnapshotStore Wrap(ISnapshotStore store) => new TimedSnapshotStore(store, this);

    public override string ToString() => string.Join(", ", operations.Where(o => o.Calls > 0));

    internal sealed class Operation(string name)
    {
        private long calls;
        private long items;
        private long ticks;

        public long Calls => Interlocked.Read(ref calls);

        public async Task<T> TimeAsync<T>(Func<Task<T>> call, Func<T, int> count)
        {
            var started = Stopwatch.GetTimestamp();
            var result = await call().ConfigureAwait(false);
            Record(started, count(result));
            return result;
        }

        public void Record(long started, int count)
        {
            Interlocked.Add(ref ticks, Stopwatch.GetTimestamp() - started);
            Interlocked.Add(ref items, count);
            Interlocked.Increment(ref calls);
        }

        public override string ToString()
        {
            var total = TimeSpan.FromSeconds(Interlocked.Read(ref ticks) / (double)Stopwatch.Frequency);
            return $"{name} {Calls:N0} calls ({Interlocked.Read(ref items):N0} events) mean {total.TotalMilliseconds / Calls:F2} ms";
        }
    }

    private sealed class TimedJournal(IJournal inner, ReconcilerStoreTimings timings) : IJournal
    {
        public Task AppendAsync(IReadOnlyList<PersistentEvent> events, CancellationToken cancellationToken) =>
            timings.Append.TimeAsync(() => AppendCountedAsync(events, cancellationToken), n => n);

        public async IAsyncEnumerable<PersistentEvent> ReadAsync(
            string persistenceId, long fromSequenceNr, long toSequenceNr, long max, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            var started = Stopwatch.GetTimestamp();
            var count = 0;
            await foreach (var e in inner.ReadAsync(persistenceId, fromSequenceNr, toSequenceNr, max, cancellationToken).ConfigureAwait(false))
            {
                count++;
                yield return e;
            }

            timings.Read.Record(started, count);
        }

        public Task<long> ReadHighestSequenceNrAsync(string persistenceId, CancellationToken cancellationToken) =>
            timings.Highest.TimeAsync(() => inner.ReadHighestSequenceNrAsync(persistenceId, cancellationToken), _ => 0);

        public Task DeleteToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken) =>
            inner.DeleteToAsync(persistenceId, toSequenceNr, cancellationToken);

        public Task<IReadOnlyList<TaggedEvent>> ReadByTagAsync(string tag, long afterOffset, int max, CancellationToken cancellationToken) =>
            inner.ReadByTagAsync(tag, afterOffset, max, cancellationToken);

        private async Task<int> AppendCountedAsync(IReadOnlyList<PersistentEvent> events, CancellationToken cancellationToken)
        {
            await inner.AppendAsync(events, cancellationToken).ConfigureAwait(false);
            return events.Count;
        }
    }

    private sealed class TimedSnapshotStore(ISnapshotStore inner, ReconcilerStoreTimings timings) : ISnapshotStore
    {
        public Task SaveAsync(SnapshotMetadata metadata, object snapshot, CancellationToken cancellationToken) =>
            inner.SaveAsync(metadata, snapshot, cancellationToken);

        public Task<SelectedSnapshot?> LoadAsync(string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken) =>
            timings.Load.TimeAsync(() => inner.LoadAsync(persistenceId, criteria, cancellationToken), s => s is null ? 0 : 1);

        public Task DeleteAsync(string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken) =>
            inner.DeleteAsync(persistenceId, criteria, cancellationToken);
    }
}
