namespace Nanokit.Persistence.Journal.Tests;

public sealed class SqliteJournalSpec() : JournalSpec(Stores.Sqlite(TempFile.New()));

public sealed class SqliteSnapshotStoreSpec() : SnapshotStoreSpec(Stores.Sqlite(TempFile.New()));

public sealed class PostgreSqlJournalSpec() : JournalSpec(Stores.PostgreSql(TempFile.Schema()));

public sealed class PostgreSqlSnapshotStoreSpec() : SnapshotStoreSpec(Stores.PostgreSql(TempFile.Schema()));

/// <summary>A fresh SQLite file or PostgreSQL schema per spec, so specs never see each other's rows.</summary>
internal static class TempFile
{
    public static string New() => Path.Combine(Directory.CreateTempSubdirectory("nanokit-journal-").FullName, "state.db");

    public static string Schema() => "journal_spec_" + Guid.NewGuid().ToString("N")[..12];
}
