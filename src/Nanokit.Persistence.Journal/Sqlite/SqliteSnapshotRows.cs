using Microsoft.Data.Sqlite;
using static Nanokit.Persistence.Journal.Sqlite.SqliteFile;

namespace Nanokit.Persistence.Journal.Sqlite;

/// <summary>Snapshots in the same SQLite file as the events; each operation on a pooled connection.</summary>
internal sealed class SqliteSnapshotRows : ISnapshotRows
{
    private const string InRange = """
        persistence_id = $pid AND sequence_nr BETWEEN $minSeq AND $maxSeq AND created_at BETWEEN $minAt AND $maxAt
        """;

    private readonly string _connectionString;
    private readonly string _synchronous;

    public SqliteSnapshotRows(string connectionString, string synchronous)
    {
        (_connectionString, _synchronous) = (connectionString, synchronous);
        using var connection = Open(connectionString, synchronous);
        CreateTables(connection);
    }

    public Task<SnapshotRow?> LoadAsync(string persistenceId, SnapshotRange range, CancellationToken cancellationToken)
    {
        using var connection = Open(_connectionString, _synchronous);
        using var command = Command(connection, $"""
            SELECT sequence_nr, created_at, serializer_id, manifest, payload FROM {SnapshotTable}
            WHERE {InRange} ORDER BY sequence_nr DESC LIMIT 1;
            """, persistenceId, range);
        using var reader = command.ExecuteReader();
        return Task.FromResult(reader.Read()
            ? new SnapshotRow(persistenceId, reader.GetInt64(0), reader.GetInt64(1), reader.GetInt32(2), reader.GetString(3), (byte[])reader[4])
            : null);
    }

    public Task SaveAsync(SnapshotRow row, CancellationToken cancellationToken)
    {
        using var connection = Open(_connectionString, _synchronous);
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            INSERT INTO {SnapshotTable} (persistence_id, sequence_nr, created_at, serializer_id, manifest, payload)
            VALUES ($pid, $seq, $at, $serializer, $manifest, $payload)
            ON CONFLICT (persistence_id, sequence_nr) DO UPDATE SET
                created_at = excluded.created_at, serializer_id = excluded.serializer_id,
                manifest = excluded.manifest, payload = excluded.payload;
            """;
        command.Parameters.AddWithValue("$pid", row.PersistenceId);
        command.Parameters.AddWithValue("$seq", row.SequenceNr);
        command.Parameters.AddWithValue("$at", row.CreatedTicks);
        command.Parameters.AddWithValue("$serializer", row.SerializerId);
        command.Parameters.AddWithValue("$manifest", row.Manifest);
        command.Parameters.AddWithValue("$payload", row.Payload);
        command.ExecuteNonQuery();
        return Task.CompletedTask;
    }

    public Task DeleteAsync(string persistenceId, SnapshotRange range, CancellationToken cancellationToken)
    {
        using var connection = Open(_connectionString, _synchronous);
        using var command = Command(connection, $"DELETE FROM {SnapshotTable} WHERE {InRange};", persistenceId, range);
        command.ExecuteNonQuery();
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static SqliteCommand Command(SqliteConnection connection, string sql, string persistenceId, SnapshotRange range)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$pid", persistenceId);
        command.Parameters.AddWithValue("$minSeq", range.MinSequenceNr);
        command.Parameters.AddWithValue("$maxSeq", range.MaxSequenceNr);
        command.Parameters.AddWithValue("$minAt", range.MinTicks);
        command.Parameters.AddWithValue("$maxAt", range.MaxTicks);
        return command;
    }
}
