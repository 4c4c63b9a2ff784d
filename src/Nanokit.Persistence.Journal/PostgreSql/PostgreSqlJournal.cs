using Akka.Configuration;

namespace Nanokit.Persistence.Journal.PostgreSql;

/// <summary>The PostgreSQL journal plugin (<c>nanokit.persistence.journal.postgresql</c> in hocon/journal.conf).</summary>
public sealed class PostgreSqlJournal(Config config) : GroupCommitJournal(Store(config), config.GetInt("max-batch-events"))
{
    private static PostgreSqlEventStore Store(Config config)
    {
        var (dataSource, schema) = PostgreSqlDatabase.Open(config);
        return new PostgreSqlEventStore(dataSource, schema, PostgreSqlDatabase.Reads(config));
    }
}

/// <summary>The PostgreSQL snapshot-store plugin (<c>nanokit.persistence.snapshot-store.postgresql</c>).</summary>
public sealed class PostgreSqlSnapshotStore(Config config) : GroupCommitSnapshotStore(Rows(config))
{
    private static PostgreSqlSnapshotRows Rows(Config config)
    {
        var (dataSource, schema) = PostgreSqlDatabase.Open(config);
        return new PostgreSqlSnapshotRows(dataSource, schema, PostgreSqlDatabase.Reads(config));
    }
}
