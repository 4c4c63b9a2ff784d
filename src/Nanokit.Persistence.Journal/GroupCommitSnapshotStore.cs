using Akka.Persistence;
using Akka.Persistence.Snapshot;

namespace Nanokit.Persistence.Journal;

/// <summary>The Akka.Persistence snapshot store over an <see cref="ISnapshotRows"/>; payloads through Akka's serialization.</summary>
public abstract class GroupCommitSnapshotStore : SnapshotStore
{
    private readonly PayloadCodec _codec;
    private readonly ISnapshotRows _rows;

    private protected GroupCommitSnapshotStore(ISnapshotRows rows)
    {
        _codec = new PayloadCodec(Context.System);
        _rows = rows;
    }

    protected override async Task<SelectedSnapshot?> LoadAsync(string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken = default)
    {
        var row = await _rows.LoadAsync(persistenceId, SnapshotRange.From(criteria), cancellationToken);
        return row is null ? null : _codec.Decode(row);
    }

    protected override Task SaveAsync(SnapshotMetadata metadata, object snapshot, CancellationToken cancellationToken = default) =>
        _rows.SaveAsync(_codec.Encode(metadata, snapshot), cancellationToken);

    protected override Task DeleteAsync(SnapshotMetadata metadata, CancellationToken cancellationToken = default) =>
        _rows.DeleteAsync(metadata.PersistenceId, SnapshotRange.Exactly(metadata), cancellationToken);

    protected override Task DeleteAsync(string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken = default) =>
        _rows.DeleteAsync(persistenceId, SnapshotRange.From(criteria), cancellationToken);

    protected override void PostStop()
    {
        _rows.DisposeAsync().AsTask().GetAwaiter().GetResult();
        base.PostStop();
    }
}
