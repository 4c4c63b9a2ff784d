using Microsoft.Data.Sqlite;
using Nanokit.Persistence.Journal;
using Nanokit.Persistence.Serialization;
using Nanokit.Persistence.Snapshots;
using Nanokit.Persistence.Sqlite;

namespace Nanokit.Persistence.Tests.Conformance;

public sealed class SqliteStoreConformance : StoreConformance
{
    private readonly string _directory = Directory.CreateTempSubdirectory("nanokit-sqlite-").FullName;

    private SqliteStoreOptions Options => new(Path.Combine(_directory, "journal.db"));

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    protected override async Task<IJournal> OpenJournalAsync(EventRegistry registry) =>
        await SqliteJournal.OpenAsync(Options, registry, default);

    protected override async Task<ISnapshotStore> OpenSnapshotStoreAsync(EventRegistry registry) =>
        await SqliteSnapshotStore.OpenAsync(Options, registry, default);

    protected override async Task<IReadOnlyList<int>> ReadSchemaVersionsAsync()
    {
        await using var connection = new SqliteConnection($"Data Source={Options.Path}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT version FROM schema_version ORDER BY version";
        var versions = new List<int>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            versions.Add(reader.GetInt32(0));
        }

        return versions;
    }

    protected override long CommittedBatches(IJournal journal) => ((SqliteJournal)journal).CommittedBatches;
}
