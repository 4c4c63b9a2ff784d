using System.Data;
using Microsoft.Data.Sqlite;

namespace Nanokit.Persistence.Sqlite;

/// <summary>
/// Opens connections with the engine's pragmas and creates/migrates the schema.
///
/// Migration runs inside BEGIN IMMEDIATE, which takes SQLite's write lock up front: of
/// several processes starting at once, one migrates while the others wait (busy timeout),
/// then find the schema current and do nothing. Versions applied are recorded in
/// <c>schema_version</c>; a migration is never edited once shipped, only appended.
/// </summary>
internal static class SqliteDatabase
{
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE journal (
            ordering INTEGER PRIMARY KEY AUTOINCREMENT,
            persistence_id TEXT NOT NULL,
            sequence_nr INTEGER NOT NULL,
            manifest TEXT NOT NULL,
            payload BLOB NOT NULL,
            tags TEXT NULL,
            written_at INTEGER NOT NULL,
            UNIQUE (persistence_id, sequence_nr)
        );
        CREATE TABLE journal_tags (
            tag TEXT NOT NULL,
            ordering INTEGER NOT NULL,
            PRIMARY KEY (tag, ordering)
        ) WITHOUT ROWID;
        CREATE TABLE journal_deleted (
            persistence_id TEXT NOT NULL PRIMARY KEY,
            deleted_to INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE snapshots (
            persistence_id TEXT NOT NULL,
            sequence_nr INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            manifest TEXT NOT NULL,
            payload BLOB NOT NULL,
            PRIMARY KEY (persistence_id, sequence_nr)
        ) WITHOUT ROWID;
        """,
    ];

    /// <summary>The schema version this code writes and reads.</summary>
    public static int CurrentVersion => Migrations.Length;

    public static async Task<SqliteConnection> OpenAsync(SqliteStoreOptions options, CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(options.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(connection, $"PRAGMA busy_timeout = {(long)options.BusyTimeout.TotalMilliseconds};", cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public static async Task MigrateAsync(SqliteStoreOptions options, CancellationToken cancellationToken)
    {
        options.Validate();
        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(options.Path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        await using var connection = await OpenAsync(options, cancellationToken).ConfigureAwait(false);
        // WAL lets readers (recovery, tag queries) run while the writer commits; the
        // setting is stored in the file, so doing it once here covers every connection.
        await ExecuteAsync(connection, "PRAGMA journal_mode = WAL;", cancellationToken).ConfigureAwait(false);
        await using var transaction = connection.BeginTransaction(IsolationLevel.Serializable, deferred: false);
        await ExecuteAsync(
            connection,
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL PRIMARY KEY, applied_at INTEGER NOT NULL);",
            cancellationToken,
            transaction).ConfigureAwait(false);
        var current = Convert.ToInt32(
            await ScalarAsync(connection, "SELECT coalesce(max(version), 0) FROM schema_version;", cancellationToken, transaction).ConfigureAwait(false),
            System.Globalization.CultureInfo.InvariantCulture);
        if (current > CurrentVersion)
        {
            throw new InvalidOperationException(
                $"the SQLite database {options.Path} has schema version {current}, newer than this build's {CurrentVersion}: upgrade Nanokit");
        }

        for (var version = current + 1; version <= CurrentVersion; version++)
        {
            await ExecuteAsync(connection, Migrations[version - 1], cancellationToken, transaction).ConfigureAwait(false);
            await using var record = connection.CreateCommand();
            record.Transaction = transaction;
            record.CommandText = "INSERT INTO schema_version (version, applied_at) VALUES ($v, $t);";
            record.Parameters.AddWithValue("$v", version);
            record.Parameters.AddWithValue("$t", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken, SqliteTransaction? transaction = null)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public static async Task<object?> ScalarAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken, SqliteTransaction? transaction = null)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>SQLITE_CONSTRAINT_UNIQUE or SQLITE_CONSTRAINT_PRIMARYKEY: the key is taken.</summary>
    public static bool IsUniqueViolation(SqliteException e) => e.SqliteExtendedErrorCode is 2067 or 1555;
}
