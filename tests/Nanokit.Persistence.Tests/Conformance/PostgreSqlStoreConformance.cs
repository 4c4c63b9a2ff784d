using Nanokit.Persistence.Journal;
using Nanokit.Persistence.PostgreSql;
using Nanokit.Persistence.Serialization;
using Nanokit.Persistence.Snapshots;
using Nanokit.Persistence.Tests.Support;

namespace Nanokit.Persistence.Tests.Conformance;

public sealed class PostgreSqlStoreConformance : StoreConformance
{
    private readonly PostgreSqlStoreOptions _options = new() { Schema = TestPostgres.NewSchemaName() };

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await TestPostgres.EnsureReachableAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await TestPostgres.DropSchemaAsync(_options.Schema);
    }

    protected override async Task<IJournal> OpenJournalAsync(EventRegistry registry) =>
        await PostgreSqlJournal.OpenAsync(TestPostgres.DataSource, _options, registry, default);

    protected override async Task<ISnapshotStore> OpenSnapshotStoreAsync(EventRegistry registry) =>
        await PostgreSqlSnapshotStore.OpenAsync(TestPostgres.DataSource, _options, registry, default);

    protected override async Task<IReadOnlyList<int>> ReadSchemaVersionsAsync()
    {
        await using var command = TestPostgres.DataSource.CreateCommand($"SELECT version FROM {_options.Schema}.schema_version ORDER BY version");
        var versions = new List<int>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            versions.Add(reader.GetInt32(0));
        }

        return versions;
    }

    protected override long CommittedBatches(IJournal journal) => ((PostgreSqlJournal)journal).CommittedBatches;
}
