using Akka.Configuration;
using Microsoft.Data.Sqlite;

namespace Nanokit.Persistence.Journal.Sqlite;

/// <summary>
/// Opens the SQLite file for the plugins: WAL (readers run beside the one writer, a commit is one append to the
/// log) and the tables, created if missing. Table names carry a <c>nanokit_</c> prefix so that a file written by
/// Akka.Persistence.Sql (tables journal, snapshot, journal_metadata) is never mistaken for one of ours.
/// </summary>
internal static class SqliteFile
{
    public const string JournalTable = "nanokit_journal";
    public const string HighestTable = "nanokit_journal_highest";
    public const string SnapshotTable = "nanokit_snapshot";

    private const string Schema = $"""
        CREATE TABLE IF NOT EXISTS {JournalTable} (
            persistence_id TEXT NOT NULL,
            sequence_nr INTEGER NOT NULL,
            serializer_id INTEGER NOT NULL,
            manifest TEXT NOT NULL,
            payload BLOB NOT NULL,
            writer_uuid TEXT NOT NULL,
            written_at INTEGER NOT NULL,
            PRIMARY KEY (persistence_id, sequence_nr)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS {HighestTable} (
            persistence_id TEXT NOT NULL PRIMARY KEY,
            sequence_nr INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS {SnapshotTable} (
            persistence_id TEXT NOT NULL,
            sequence_nr INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            serializer_id INTEGER NOT NULL,
            manifest TEXT NOT NULL,
            payload BLOB NOT NULL,
            PRIMARY KEY (persistence_id, sequence_nr)) WITHOUT ROWID;
        """;

    /// <summary>The plugin's settings: the file's connection string and how each commit is made durable.</summary>
    public static (string ConnectionString, string Synchronous) Settings(Config config)
    {
        var connectionString = config.GetString("connection-string");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new ConfigurationException("nanokit.persistence: the SQLite plugin needs connection-string (the state file)");
        }

        var synchronous = config.GetString("synchronous", "NORMAL").ToUpperInvariant();
        if (synchronous is not ("NORMAL" or "FULL"))
        {
            throw new ConfigurationException($"nanokit.persistence: synchronous must be NORMAL or FULL, not {synchronous}");
        }

        return (new SqliteConnectionStringBuilder(connectionString) { Pooling = true }.ToString(), synchronous);
    }

    public static SqliteConnection Open(string connectionString, string synchronous)
    {
        var connection = new SqliteConnection(connectionString);
        connection.Open();
        Execute(connection, $"PRAGMA synchronous = {synchronous};");
        return connection;
    }

    public static void CreateTables(SqliteConnection connection) => Execute(connection, "PRAGMA journal_mode = WAL;\n" + Schema);

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
