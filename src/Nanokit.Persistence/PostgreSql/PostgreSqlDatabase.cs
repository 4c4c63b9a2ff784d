using System.Text;
using Npgsql;

namespace Nanokit.Persistence.PostgreSql;

/// <summary>
/// Creates and migrates the schema. Migration holds a transaction-scoped advisory lock
/// derived from the schema name, so of several processes starting at once one migrates
/// and the others wait, then find the schema current. DDL is transactional in PostgreSQL,
/// so a migration that fails leaves nothing half-applied.
/// </summary>
internal static class PostgreSqlDatabase
{
    private static readonly Func<string, string>[] Migrations =
    [
        s => $"""
            CREATE TABLE {s}.journal (
                ordering bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
                persistence_id text NOT NULL,
                sequence_nr bigint NOT NULL,
                manifest text NOT NULL,
                payload bytea NOT NULL,
                tags text NULL,
                written_at bigint NOT NULL,
                PRIMARY KEY (persistence_id, sequence_nr)
            );
            CREATE TABLE {s}.journal_tags (
                tag text NOT NULL,
                ordering bigint NOT NULL,
                PRIMARY KEY (tag, ordering)
            );
            CREATE TABLE {s}.journal_deleted (
                persistence_id text NOT NULL PRIMARY KEY,
                deleted_to bigint NOT NULL
            );
            CREATE TABLE {s}.snapshots (
                persistence_id text NOT NULL,
                sequence_nr bigint NOT NULL,
                created_at bigint NOT NULL,
                manifest text NOT NULL,
                payload bytea NOT NULL,
                PRIMARY KEY (persistence_id, sequence_nr)
            );
            """,
    ];

    /// <summary>The schema version this code writes and reads.</summary>
    public static int CurrentVersion => Migrations.Length;

    /// <summary>Advisory lock key guarding migrations of <paramref name="schema"/>.</summary>
    public static long MigrationLockKey(string schema) => StableHash("nanokit.migrate." + schema);

    /// <summary>Advisory lock key serializing journal commits of <paramref name="schema"/>.</summary>
    public static long OrderingLockKey(string schema) => StableHash("nanokit.ordering." + schema);

    public static async Task MigrateAsync(NpgsqlDataSource dataSource, PostgreSqlStoreOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var s = options.Schema;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@key)", connection, transaction))
        {
            command.Parameters.AddWithValue("key", MigrationLockKey(s));
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using (var command = new NpgsqlCommand(
            $"""
            CREATE SCHEMA IF NOT EXISTS {s};
            CREATE TABLE IF NOT EXISTS {s}.schema_version (version integer NOT NULL PRIMARY KEY, applied_at bigint NOT NULL);
            """,
            connection,
            transaction))
        {
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        int current;
        await using (var command = new NpgsqlCommand($"SELECT coalesce(max(version), 0) FROM {s}.schema_version", connection, transaction))
        {
            current = (int)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }

        if (current > CurrentVersion)
        {
            throw new InvalidOperationException(
                $"the PostgreSQL schema {s} has version {current}, newer than this build's {CurrentVersion}: upgrade Nanokit");
        }

        for (var version = current + 1; version <= CurrentVersion; version++)
        {
            await using var command = new NpgsqlCommand(
                $"{Migrations[version - 1](s)}\nINSERT INTO {s}.schema_version (version, applied_at) VALUES ({version}, @at);",
                connection,
                transaction);
            command.Parameters.AddWithValue("at", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>unique_violation: the (persistence_id, sequence_nr) key is taken.</summary>
    public static bool IsUniqueViolation(PostgresException e) => e.SqlState == PostgresErrorCodes.UniqueViolation;

    // FNV-1a: string.GetHashCode is randomized per process, and every process must agree.
    private static long StableHash(string text)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        return unchecked((long)hash);
    }
}
