namespace Nanokit.Persistence.Journal;

/// <summary>The storage a <see cref="GroupCommitJournal"/> writes through: one implementation per database.</summary>
internal interface IEventStore : IAsyncDisposable
{
    /// <summary>Writes every row of the batch in one transaction; a duplicate key throws <see cref="DuplicateEventException"/>.</summary>
    Task CommitAsync(IReadOnlyList<PendingWrite> batch);

    Task ReplayAsync(string persistenceId, long fromSequenceNr, long toSequenceNr, long max, Action<EventRow> onRow, CancellationToken cancellationToken);

    /// <summary>The highest sequence number ever written, deletions notwithstanding (0 if none).</summary>
    Task<long> ReadHighestAsync(string persistenceId, CancellationToken cancellationToken);

    Task DeleteToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken);
}

/// <summary>Where a <see cref="GroupCommitSnapshotStore"/> keeps snapshots.</summary>
internal interface ISnapshotRows : IAsyncDisposable
{
    Task<SnapshotRow?> LoadAsync(string persistenceId, SnapshotRange range, CancellationToken cancellationToken);

    Task SaveAsync(SnapshotRow row, CancellationToken cancellationToken);

    Task DeleteAsync(string persistenceId, SnapshotRange range, CancellationToken cancellationToken);
}

/// <summary>A snapshot selection as inclusive bounds on sequence number and creation time (ticks, UTC).</summary>
internal sealed record SnapshotRange(long MinSequenceNr, long MaxSequenceNr, long MinTicks, long MaxTicks)
{
    public static SnapshotRange From(Akka.Persistence.SnapshotSelectionCriteria criteria) => new(
        criteria.MinSequenceNr,
        criteria.MaxSequenceNr,
        criteria.MinTimestamp?.Ticks ?? 0,
        criteria.MaxTimeStamp.Ticks);

    /// <summary>Exactly the snapshot a metadata names (any time when its timestamp is unset).</summary>
    public static SnapshotRange Exactly(Akka.Persistence.SnapshotMetadata metadata) => new(
        metadata.SequenceNr,
        metadata.SequenceNr,
        metadata.Timestamp == DateTime.MinValue ? 0 : metadata.Timestamp.Ticks,
        metadata.Timestamp == DateTime.MinValue ? long.MaxValue : metadata.Timestamp.Ticks);
}
