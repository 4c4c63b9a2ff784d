using Akka.Configuration;

namespace Nanokit.Persistence.Journal.Sqlite;

/// <summary>The embedded journal plugin (<c>nanokit.persistence.journal.sqlite</c> in hocon/journal.conf).</summary>
public sealed class SqliteJournal(Config config) : GroupCommitJournal(Store(config), config.GetInt("max-batch-events"))
{
    private static SqliteEventStore Store(Config config)
    {
        var (connectionString, synchronous) = SqliteFile.Settings(config);
        return new SqliteEventStore(connectionString, synchronous);
    }
}

/// <summary>The embedded snapshot-store plugin (<c>nanokit.persistence.snapshot-store.sqlite</c>).</summary>
public sealed class SqliteSnapshotStore(Config config) : GroupCommitSnapshotStore(Rows(config))
{
    private static SqliteSnapshotRows Rows(Config config)
    {
        var (connectionString, synchronous) = SqliteFile.Settings(config);
        return new SqliteSnapshotRows(connectionString, synchronous);
    }
}
