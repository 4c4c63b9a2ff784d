namespace Nanokit.Persistence.Journal;

/// <summary>
/// An append-only event log keyed by persistence id. Engines batch appends from many
/// callers into group commits; every method may be called concurrently.
/// </summary>
public interface IJournal
{
    /// <summary>
    /// Appends events of one persistence id atomically: all or none. Each event carries the
    /// sequence number the caller expects it to get; if any is already taken (a second
    /// writer for the same entity) the append fails with <see cref="JournalConflictException"/>.
    /// The task completes only after the write is durable.
    /// </summary>
    Task AppendAsync(IReadOnlyList<PersistentEvent> events, CancellationToken cancellationToken);

    /// <summary>Events of one persistence id with <paramref name="fromSequenceNr"/> ≤ sequence nr ≤ <paramref name="toSequenceNr"/>, ascending, at most <paramref name="max"/>.</summary>
    IAsyncEnumerable<PersistentEvent> ReadAsync(string persistenceId, long fromSequenceNr, long toSequenceNr, long max, CancellationToken cancellationToken);

    /// <summary>The highest sequence number ever written for the id (deleted events included), 0 if none.</summary>
    Task<long> ReadHighestSequenceNrAsync(string persistenceId, CancellationToken cancellationToken);

    /// <summary>Deletes the events of one id up to and including <paramref name="toSequenceNr"/>; the highest sequence number is kept.</summary>
    Task DeleteToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken);

    /// <summary>
    /// Events carrying <paramref name="tag"/> whose global offset is greater than
    /// <paramref name="afterOffset"/>, in offset order, at most <paramref name="max"/>.
    /// Offsets are assigned in commit order, so a reader that resumes from the last offset
    /// it saw misses nothing.
    /// </summary>
    Task<IReadOnlyList<TaggedEvent>> ReadByTagAsync(string tag, long afterOffset, int max, CancellationToken cancellationToken);
}
