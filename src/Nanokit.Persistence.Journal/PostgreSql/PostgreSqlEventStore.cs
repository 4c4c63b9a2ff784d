using Npgsql;

namespace Nanokit.Persistence.Journal.PostgreSql;

/// <summary>
/// Events in PostgreSQL. A group commit is one statement: INSERT … SELECT FROM unnest(arrays), one round trip and one
/// implicit transaction (durable when it returns, rolled back whole on any error) whatever the batch's size. Reads
/// of many recovering actors are coalesced the same way (<see cref="ReadCoalescer{TRequest,TResult}"/>).
/// </summary>
internal sealed class PostgreSqlEventStore : IEventStore
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly string _s;
    private readonly TableCreation _tables;
    private readonly ReadCoalescer<ReplayRequest, List<EventRow>> _replays;
    private readonly ReadCoalescer<string, long> _highest;

    public PostgreSqlEventStore(NpgsqlDataSource dataSource, string schema, ReadSettings reads)
    {
        (_dataSource, _s) = (dataSource, schema);
        _tables = new TableCreation(() => PostgreSqlDatabase.CreateTablesAsync(dataSource, schema));
        _replays = new ReadCoalescer<ReplayRequest, List<EventRow>>("replay", ReplayBatchAsync, reads.MaxBatch, reads.Parallelism);
        _highest = new ReadCoalescer<string, long>("highest", HighestBatchAsync, reads.MaxBatch, reads.Parallelism);
    }

    public async Task CommitAsync(IReadOnlyList<PendingWrite> batch)
    {
        await _tables.EnsureAsync().ConfigureAwait(false);
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
        var rows = await _replays.ReadAsync(new ReplayRequest(persistenceId, fromSequenceNr, toSequenceNr, max), cancellationToken).ConfigureAwait(false);
        foreach (var row in rows)
        {
            onRow(row);
        }
    }

    public Task<long> ReadHighestAsync(string persistenceId, CancellationToken cancellationToken) =>
        _highest.ReadAsync(persistenceId, cancellationToken);

    public async Task DeleteToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken)
    {
        await _tables.EnsureAsync().ConfigureAwait(false);
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

    public async ValueTask DisposeAsync()
    {
        await _replays.DisposeAsync().ConfigureAwait(false);
        await _highest.DisposeAsync().ConfigureAwait(false);
        await _dataSource.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Many actors' replays in one query: each request's rows, in sequence order, at most its max.</summary>
    private async Task<List<EventRow>[]> ReplayBatchAsync(IReadOnlyList<ReplayRequest> requests)
    {
        await _tables.EnsureAsync().ConfigureAwait(false);
        await using var command = _dataSource.CreateCommand($"""
            SELECT r.i, j.sequence_nr, j.serializer_id, j.manifest, j.payload, j.writer_uuid, j.written_at
            FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[]) WITH ORDINALITY AS r(pid, lo, hi, mx, i)
            CROSS JOIN LATERAL (
                SELECT * FROM {_s}.nanokit_journal
                WHERE persistence_id = r.pid AND sequence_nr BETWEEN r.lo AND r.hi
                ORDER BY sequence_nr LIMIT r.mx) j
            ORDER BY r.i, j.sequence_nr
            """);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = requests.Select(r => r.PersistenceId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = requests.Select(r => r.From).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = requests.Select(r => r.To).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = requests.Select(r => r.Max).ToArray() });
        var results = requests.Select(_ => new List<EventRow>()).ToArray();
        await using var reader = await command.ExecuteReaderAsync().ConfigureAwait(false);
        while (await reader.ReadAsync().ConfigureAwait(false))
        {
            var i = (int)reader.GetInt64(0) - 1;
            results[i].Add(new EventRow(
                requests[i].PersistenceId, reader.GetInt64(1), reader.GetInt32(2), reader.GetString(3), reader.GetFieldValue<byte[]>(4), reader.GetString(5), reader.GetInt64(6)));
        }

        return results;
    }

    /// <summary>Many actors' highest sequence numbers in one query, deletions notwithstanding.</summary>
    private async Task<long[]> HighestBatchAsync(IReadOnlyList<string> persistenceIds)
    {
        await _tables.EnsureAsync().ConfigureAwait(false);
        await using var command = _dataSource.CreateCommand($"""
            SELECT r.i, greatest(
                coalesce((SELECT max(sequence_nr) FROM {_s}.nanokit_journal WHERE persistence_id = r.pid), 0),
                coalesce((SELECT sequence_nr FROM {_s}.nanokit_journal_highest WHERE persistence_id = r.pid), 0))
            FROM unnest($1::text[]) WITH ORDINALITY AS r(pid, i)
            """);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = persistenceIds.ToArray() });
        var results = new long[persistenceIds.Count];
        await using var reader = await command.ExecuteReaderAsync().ConfigureAwait(false);
        while (await reader.ReadAsync().ConfigureAwait(false))
        {
            results[(int)reader.GetInt64(0) - 1] = reader.GetInt64(1);
        }

        return results;
    }

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

/// <summary>One actor's replay: its events from..to, at most max.</summary>
internal sealed record ReplayRequest(string PersistenceId, long From, long To, long Max);
