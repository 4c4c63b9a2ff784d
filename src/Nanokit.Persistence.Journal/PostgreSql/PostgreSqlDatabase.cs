using System.Text.RegularExpressions;
using Akka.Configuration;
using Npgsql;

namespace Nanokit.Persistence.Journal.PostgreSql;

/// <summary>
/// The PostgreSQL plugins' settings and tables. Tables are created on first use under a transaction-scoped advisory
/// lock, so of several nodes starting at once one creates them and the others find them.
/// </summary>
internal static partial class PostgreSqlDatabase
{
    public static (NpgsqlDataSource DataSource, string Schema) Open(Config config)
    {
        var connectionString = config.GetString("connection-string");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new ConfigurationException("nanokit.persistence: the PostgreSQL plugin needs connection-string");
        }

        var schema = config.GetString("schema", "nanokit");
        if (!Identifier().IsMatch(schema))
        {
            throw new ConfigurationException($"nanokit.persistence: schema must be a plain lower-case identifier, not '{schema}'");
        }

        return (NpgsqlDataSource.Create(PostgreSqlPool.Tuned(connectionString)), schema);
    }

    public static async Task CreateTablesAsync(NpgsqlDataSource dataSource, string s)
    {
        await using var connection = await dataSource.OpenConnectionAsync().ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync().ConfigureAwait(false);
        await using var command = new NpgsqlCommand(
            $"""
            SELECT pg_advisory_xact_lock(hashtext('nanokit.persistence.{s}'));
            CREATE SCHEMA IF NOT EXISTS {s};
            CREATE TABLE IF NOT EXISTS {s}.nanokit_journal (
                persistence_id text NOT NULL,
                sequence_nr bigint NOT NULL,
                serializer_id integer NOT NULL,
                manifest text NOT NULL,
                payload bytea NOT NULL,
                writer_uuid text NOT NULL,
                written_at bigint NOT NULL,
                PRIMARY KEY (persistence_id, sequence_nr));
            CREATE TABLE IF NOT EXISTS {s}.nanokit_journal_highest (
                persistence_id text NOT NULL PRIMARY KEY,
                sequence_nr bigint NOT NULL);
            CREATE TABLE IF NOT EXISTS {s}.nanokit_snapshot (
                persistence_id text NOT NULL,
                sequence_nr bigint NOT NULL,
                created_at bigint NOT NULL,
                serializer_id integer NOT NULL,
                manifest text NOT NULL,
                payload bytea NOT NULL,
                PRIMARY KEY (persistence_id, sequence_nr));
            """,
            connection,
            transaction);
        await command.ExecuteNonQueryAsync().ConfigureAwait(false);
        await transaction.CommitAsync().ConfigureAwait(false);
    }

    public static ReadSettings Reads(Config config)
    {
        var settings = new ReadSettings(config.GetInt("read-batch-size", 0), config.GetInt("read-parallelism", 0));
        if (settings.MaxBatch < 1 || settings.Parallelism < 1)
        {
            throw new ConfigurationException(
                $"nanokit.persistence: read-batch-size and read-parallelism must be at least 1, not {settings.MaxBatch} and {settings.Parallelism}");
        }

        return settings;
    }

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex Identifier();
}

/// <summary>How recovering actors' reads are coalesced: requests per query at most, and queries running at once.</summary>
internal sealed record ReadSettings(int MaxBatch, int Parallelism);
