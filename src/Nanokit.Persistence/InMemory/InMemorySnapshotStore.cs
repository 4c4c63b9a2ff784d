using Nanokit.Persistence.Serialization;
using Nanokit.Persistence.Snapshots;

namespace Nanokit.Persistence.InMemory;

/// <summary>A snapshot store in process memory, for tests.</summary>
public sealed class InMemorySnapshotStore(InMemoryStorage storage, EventRegistry registry) : ISnapshotStore
{
    public Task SaveAsync(SnapshotMetadata metadata, object snapshot, CancellationToken cancellationToken)
    {
        var stored = new StoredSnapshot(metadata.SequenceNr, metadata.Timestamp.ToUnixTimeMilliseconds(), registry.Serialize(snapshot));
        lock (storage.Gate)
        {
            if (!storage.Snapshots.TryGetValue(metadata.PersistenceId, out var snapshots))
            {
                snapshots = [];
                storage.Snapshots.Add(metadata.PersistenceId, snapshots);
            }

            snapshots[metadata.SequenceNr] = stored;
        }

        return Task.CompletedTask;
    }

    public Task<SelectedSnapshot?> LoadAsync(string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken)
    {
        StoredSnapshot? found;
        lock (storage.Gate)
        {
            found = storage.Snapshots.TryGetValue(persistenceId, out var snapshots)
                ? snapshots.Values.LastOrDefault(s => criteria.Matches(Metadata(persistenceId, s)))
                : null;
        }

        return Task.FromResult(found is null
            ? null
            : new SelectedSnapshot(Metadata(persistenceId, found), registry.Deserialize(found.Payload.Manifest, found.Payload.Data)));
    }

    public Task DeleteAsync(string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken)
    {
        lock (storage.Gate)
        {
            if (storage.Snapshots.TryGetValue(persistenceId, out var snapshots))
            {
                foreach (var s in snapshots.Values.Where(s => criteria.Matches(Metadata(persistenceId, s))).ToList())
                {
                    snapshots.Remove(s.SequenceNr);
                }
            }
        }

        return Task.CompletedTask;
    }

    private static SnapshotMetadata Metadata(string persistenceId, StoredSnapshot s) =>
        new(persistenceId, s.SequenceNr, DateTimeOffset.FromUnixTimeMilliseconds(s.CreatedAtMs));
}
