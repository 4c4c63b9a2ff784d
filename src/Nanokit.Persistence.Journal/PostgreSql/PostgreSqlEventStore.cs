using Npgsql;

namespace Nanokit.Persistence.Journal.PostgreSql;

/// <summary>
/// Events in PostgreSQL. A group commit is one statement: INSERT … SELECT FROM unnest(arrays), one round trip and one
/// implicit transaction (durable when it returns, rolled back whole on any error) whatever the batch's size.
/// </summary>
internal sealed class PostgreSqlEventStore : IEventStore
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly string _s;
    private readonly Lazy<Task> _tables;

    public PostgreSqlEventStore(NpgsqlDataSource dataSource, string schema)
    {
        (_dataSource, _s) = (dataSource, schema);
        _tables = new Lazy<Task>(() => PostgreSqlDatabase.CreateTablesAsync(dataSource, schema));
    }

    public async Task CommitAsync(IReadOnlyList<PendingWrite> batch)
    {
        await _tables.Value.ConfigureAwait(false);
        var rows = batch.SelectMany(p => p.Rows).ToArray();
        await using var command = _dataSource.CreateCommand($"""
            INSERT INTO {_s}.nanokit_journal (persistence_id, sequence_nr, serializer_id, manifest, payload, writer_uuid, written_at)
            SELECT * FROM unnest($1::text[], $2::bigint[], $3::integer[], $4::text[], $5::bytea[], $6::text[], $7::bigint[])
            """);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = rows.Select(r => r.PersistenceId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = rows.Select(r => r.SequenceNr).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = rows.Select(r => r.SerializerId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = rows.Select(r => r.Manifest).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<byte[][]> { TypedValue = rows.Select(r => r.Payload).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = rows.Select(r => r.WriterUuid).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = rows.Select(r => r.Timestamp).ToArray() });
        try
        {
            await command.ExecuteNonQueryAsync().ConfigureAwait(false);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw new DuplicateEventException($"an event of this batch is already in the journal ({e.Detail})", e);
        }
    }

    public async Task ReplayAsync(string persistenceId, long fromSequenceNr, long toSequenceNr, long max, Action<EventRow> onRow, CancellationToken cancellationToken)
    {
        await _tables.Value.ConfigureAwait(false);
        await using var command = _dataSource.CreateCommand($"""
            SELECT sequence_nr, serializer_id, manifest, payload, writer_uuid, written_at FROM {_s}.nanokit_journal
            WHERE persistence_id = $1 AND sequence_nr BETWEEN $2 AND $3
            ORDER BY sequence_nr LIMIT $4
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = persistenceId });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = fromSequenceNr });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = toSequenceNr });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = max });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            onRow(new EventRow(
                persistenceId, reader.GetInt64(0), reader.GetInt32(1), reader.GetString(2), reader.GetFieldValue<byte[]>(3), reader.GetString(4), reader.GetInt64(5)));
        }
    }

    public async Task<long> ReadHighestAsync(string persistenceId, CancellationToken cancellationToken)
    {
        await _tables.Value.ConfigureAwait(false);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await HighestAsync(connection, null, persistenceId, cancellationToken).ConfigureAwait(false);
    }

    public async Task DeleteToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken)
    {
        await _tables.Value.ConfigureAwait(false);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var highest = await HighestAsync(connection, transaction, persistenceId, cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(
            $"""
            DELETE FROM {_s}.nanokit_journal WHERE persistence_id = @pid AND sequence_nr <= @to;
            INSERT INTO {_s}.nanokit_journal_highest AS h (persistence_id, sequence_nr) VALUES (@pid, @highest)
                ON CONFLICT (persistence_id) DO UPDATE SET sequence_nr = greatest(h.sequence_nr, excluded.sequence_nr);
            """,
            connection,
            transaction);
        command.Parameters.AddWithValue("pid", persistenceId);
        command.Parameters.AddWithValue("to", Math.Min(toSequenceNr, highest));
        command.Parameters.AddWithValue("highest", highest);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    private async Task<long> HighestAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string persistenceId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"""
            SELECT greatest(
                coalesce((SELECT max(sequence_nr) FROM {_s}.nanokit_journal WHERE persistence_id = @pid), 0),
                coalesce((SELECT sequence_nr FROM {_s}.nanokit_journal_highest WHERE persistence_id = @pid), 0))
            """,
            connection,
            transaction);
        command.Parameters.AddWithValue("pid", persistenceId);
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }
}
