namespace Nanokit.Persistence.Snapshots;

/// <summary>Stores snapshots of an entity's state so recovery need not replay its whole journal.</summary>
public interface ISnapshotStore
{
    /// <summary>Saves (or replaces) the snapshot taken at <see cref="SnapshotMetadata.SequenceNr"/>; completes when durable.</summary>
    Task SaveAsync(SnapshotMetadata metadata, object snapshot, CancellationToken cancellationToken);

    /// <summary>The newest snapshot matching the criteria (highest sequence number), or null.</summary>
    Task<SelectedSnapshot?> LoadAsync(string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken);

    /// <summary>Deletes every snapshot of the id matching the criteria.</summary>
    Task DeleteAsync(string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken);
}
