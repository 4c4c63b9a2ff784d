using Microsoft.Data.Sqlite;
using static Nanokit.Persistence.Journal.Sqlite.SqliteFile;

namespace Nanokit.Persistence.Journal.Sqlite;

/// <summary>
/// Events in one SQLite file. Every commit goes through one writer connection owned by the group-commit loop (SQLite
/// admits one writer at a time, so one connection avoids lock contention); replays use pooled connections and run
/// beside it thanks to WAL. The highest sequence number of each persistence id is kept in its own table only when
/// a deletion is about to remove it, so a write is one insert.
/// </summary>
internal sealed class SqliteEventStore : IEventStore
{
    private readonly string _connectionString;
    private readonly string _synchronous;
    private readonly SqliteConnection _writer;

    public SqliteEventStore(string connectionString, string synchronous)
    {
        (_connectionString, _synchronous) = (connectionString, synchronous);
        _writer = Open(connectionString, synchronous);
        CreateTables(_writer);
    }

    public Task CommitAsync(IReadOnlyList<PendingWrite> batch)
    {
        // Microsoft.Data.Sqlite's async methods complete synchronously: this is plain synchronous code on the
        // writer loop's thread.
        using var transaction = _writer.BeginTransaction(deferred: false);
        using var insert = _writer.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = $"""
            INSERT INTO {JournalTable} (persistence_id, sequence_nr, serializer_id, manifest, payload, writer_uuid, written_at)
            VALUES ($pid, $seq, $serializer, $manifest, $payload, $writer, $at);
            """;
        var pid = insert.Parameters.Add("$pid", SqliteType.Text);
        var seq = insert.Parameters.Add("$seq", SqliteType.Integer);
        var serializer = insert.Parameters.Add("$serializer", SqliteType.Integer);
        var manifest = insert.Parameters.Add("$manifest", SqliteType.Text);
        var payload = insert.Parameters.Add("$payload", SqliteType.Blob);
        var writer = insert.Parameters.Add("$writer", SqliteType.Text);
        var at = insert.Parameters.Add("$at", SqliteType.Integer);
        insert.Prepare();
        foreach (var row in batch.SelectMany(p => p.Rows))
        {
            (pid.Value, seq.Value, serializer.Value, manifest.Value) = (row.PersistenceId, row.SequenceNr, row.SerializerId, row.Manifest);
            (payload.Value, writer.Value, at.Value) = (row.Payload, row.WriterUuid, row.Timestamp);
            try
            {
                insert.ExecuteNonQuery();
            }
            catch (SqliteException e) when (e.SqliteExtendedErrorCode is SQLitePCL.raw.SQLITE_CONSTRAINT_PRIMARYKEY)
            {
                throw new DuplicateEventException($"event {row.SequenceNr} of '{row.PersistenceId}' is already in the journal", e);
            }
        }

        transaction.Commit();
        return Task.CompletedTask;
    }

    public Task ReplayAsync(string persistenceId, long fromSequenceNr, long toSequenceNr, long max, Action<EventRow> onRow, CancellationToken cancellationToken)
    {
        using var connection = OpenReader();
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT sequence_nr, serializer_id, manifest, payload, writer_uuid, written_at FROM {JournalTable}
            WHERE persistence_id = $pid AND sequence_nr >= $from AND sequence_nr <= $to
            ORDER BY sequence_nr LIMIT $max;
            """;
        command.Parameters.AddWithValue("$pid", persistenceId);
        command.Parameters.AddWithValue("$from", fromSequenceNr);
        command.Parameters.AddWithValue("$to", toSequenceNr);
        command.Parameters.AddWithValue("$max", max);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            cancellationToken.ThrowIfCancellationRequested();
            onRow(new EventRow(
                persistenceId, reader.GetInt64(0), reader.GetInt32(1), reader.GetString(2), (byte[])reader[3], reader.GetString(4), reader.GetInt64(5)));
        }

        return Task.CompletedTask;
    }

    public Task<long> ReadHighestAsync(string persistenceId, CancellationToken cancellationToken)
    {
        using var connection = OpenReader();
        return Task.FromResult(Highest(connection, null, persistenceId));
    }

    public Task DeleteToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken)
    {
        using var connection = OpenReader();
        using var transaction = connection.BeginTransaction(deferred: false);
        var highest = Highest(connection, transaction, persistenceId);
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"""
            DELETE FROM {JournalTable} WHERE persistence_id = $pid AND sequence_nr <= $to;
            INSERT INTO {HighestTable} (persistence_id, sequence_nr) VALUES ($pid, $highest)
                ON CONFLICT (persistence_id) DO UPDATE SET sequence_nr = max(sequence_nr, excluded.sequence_nr);
            """;
        command.Parameters.AddWithValue("$pid", persistenceId);
        command.Parameters.AddWithValue("$to", Math.Min(toSequenceNr, highest));
        command.Parameters.AddWithValue("$highest", highest);
        command.ExecuteNonQuery();
        transaction.Commit();
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        _writer.Dispose();
        return ValueTask.CompletedTask;
    }

    private static long Highest(SqliteConnection connection, SqliteTransaction? transaction, string persistenceId)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"""
            SELECT max(
                coalesce((SELECT max(sequence_nr) FROM {JournalTable} WHERE persistence_id = $pid), 0),
                coalesce((SELECT sequence_nr FROM {HighestTable} WHERE persistence_id = $pid), 0));
            """;
        command.Parameters.AddWithValue("$pid", persistenceId);
        return (long)command.ExecuteScalar()!;
    }

    private SqliteConnection OpenReader() => Open(_connectionString, _synchronous);
}
