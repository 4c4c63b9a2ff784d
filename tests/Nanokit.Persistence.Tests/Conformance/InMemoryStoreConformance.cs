using Nanokit.Persistence.InMemory;
using Nanokit.Persistence.Journal;
using Nanokit.Persistence.Serialization;
using Nanokit.Persistence.Snapshots;

namespace Nanokit.Persistence.Tests.Conformance;

public sealed class InMemoryStoreConformance : StoreConformance
{
    private readonly InMemoryStorage _storage = new();

    protected override Task<IJournal> OpenJournalAsync(EventRegistry registry) =>
        Task.FromResult<IJournal>(new InMemoryJournal(_storage, registry));

    protected override Task<ISnapshotStore> OpenSnapshotStoreAsync(EventRegistry registry) =>
        Task.FromResult<ISnapshotStore>(new InMemorySnapshotStore(_storage, registry));

    // Memory has no schema; the shared storage is the whole "migration".
    protected override Task<IReadOnlyList<int>> ReadSchemaVersionsAsync() => Task.FromResult<IReadOnlyList<int>>([1]);

    protected override long CommittedBatches(IJournal journal) => ((InMemoryJournal)journal).CommittedBatches;
}
