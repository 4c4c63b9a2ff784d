using System.Runtime.CompilerServices;
using Nanokit.Persistence.Journal;
using Nanokit.Persistence.Serialization;

namespace Nanokit.Persistence.InMemory;

/// <summary>A journal in process memory, for tests. Same contract (and group commit) as the SQL engines.</summary>
public sealed class InMemoryJournal : IJournal, IAsyncDisposable
{
    private readonly InMemoryStorage _storage;
    private readonly EventRegistry _registry;
    private readonly GroupCommitWriter _writer;

    public InMemoryJournal(InMemoryStorage storage, EventRegistry registry, int maxBatchEvents = 1000)
    {
        _storage = storage;
        _registry = registry;
        _writer = new GroupCommitWriter(CommitAsync, maxBatchEvents);
    }

    /// <summary>Group commits so far.</summary>
    public long CommittedBatches => _writer.CommittedBatches;

    public Task AppendAsync(IReadOnlyList<PersistentEvent> events, CancellationToken cancellationToken) =>
        _writer.AppendAsync(events, cancellationToken);

    public async IAsyncEnumerable<PersistentEvent> ReadAsync(
        string persistenceId, long fromSequenceNr, long toSequenceNr, long max, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        List<StoredEvent> found;
        lock (_storage.Gate)
        {
            found = _storage.Events.TryGetValue(persistenceId, out var events)
                ? events.Values.Where(e => e.SequenceNr >= fromSequenceNr && e.SequenceNr <= toSequenceNr).Take((int)Math.Min(max, int.MaxValue)).ToList()
                : [];
        }

        foreach (var stored in found)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return ToEvent(stored);
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    public Task<long> ReadHighestSequenceNrAsync(string persistenceId, CancellationToken cancellationToken)
    {
        lock (_storage.Gate)
        {
            return Task.FromResult(HighestLocked(persistenceId));
        }
    }

    public Task DeleteToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken)
    {
        lock (_storage.Gate)
        {
            var deleteTo = Math.Min(toSequenceNr, HighestLocked(persistenceId));
            if (_storage.Events.TryGetValue(persistenceId, out var events))
            {
                foreach (var stored in events.Values.Where(e => e.SequenceNr <= deleteTo).ToList())
                {
                    events.Remove(stored.SequenceNr);
                    _storage.ByOrdering.Remove(stored.Ordering);
                }
            }

            _storage.DeletedTo[persistenceId] = Math.Max(deleteTo, _storage.DeletedTo.GetValueOrDefault(persistenceId));
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<TaggedEvent>> ReadByTagAsync(string tag, long afterOffset, int max, CancellationToken cancellationToken)
    {
        List<StoredEvent> found;
        lock (_storage.Gate)
        {
            found = _storage.ByOrdering.Values.Where(e => e.Ordering > afterOffset && e.Tags.Contains(tag)).Take(max).ToList();
        }

        return Task.FromResult<IReadOnlyList<TaggedEvent>>(found.Select(e => new TaggedEvent(e.Ordering, ToEvent(e))).ToList());
    }

    public ValueTask DisposeAsync() => _writer.DisposeAsync();

    private Task CommitAsync(IReadOnlyList<PendingAppend> batch, CancellationToken cancellationToken)
    {
        // Serialize outside the lock; a payload that cannot be serialized fails the batch
        // before anything is applied, as a rolled-back transaction would.
        var serialized = batch.Select(p => p.Events.Select(e => _registry.Serialize(e.Payload)).ToList()).ToList();
        lock (_storage.Gate)
        {
            foreach (var pending in batch)
            {
                if (_storage.Events.TryGetValue(pending.PersistenceId, out var existing)
                    && pending.Events.Any(e => existing.ContainsKey(e.SequenceNr)))
                {
                    throw new JournalConflictException(pending.PersistenceId, pending.FromSequenceNr, pending.ToSequenceNr);
                }
            }

            for (var i = 0; i < batch.Count; i++)
            {
                var pending = batch[i];
                if (!_storage.Events.TryGetValue(pending.PersistenceId, out var events))
                {
                    events = [];
                    _storage.Events.Add(pending.PersistenceId, events);
                }

                for (var j = 0; j < pending.Events.Count; j++)
                {
                    var e = pending.Events[j];
                    var stored = new StoredEvent(
                        ++_storage.LastOrdering, e.PersistenceId, e.SequenceNr, serialized[i][j], e.Tags, e.Timestamp.ToUnixTimeMilliseconds());
                    events.Add(e.SequenceNr, stored);
                    _storage.ByOrdering.Add(stored.Ordering, stored);
                }
            }
        }

        return Task.CompletedTask;
    }

    private long HighestLocked(string persistenceId)
    {
        var written = _storage.Events.TryGetValue(persistenceId, out var events) && events.Count > 0 ? events.Keys[^1] : 0;
        return Math.Max(written, _storage.DeletedTo.GetValueOrDefault(persistenceId));
    }

    private PersistentEvent ToEvent(StoredEvent stored) => new(
        stored.PersistenceId,
        stored.SequenceNr,
        _registry.Deserialize(stored.Payload.Manifest, stored.Payload.Data),
        stored.Tags,
        DateTimeOffset.FromUnixTimeMilliseconds(stored.WrittenAtMs));
}
