using Npgsql;

namespace Nanokit.Persistence.Journal.PostgreSql;

/// <summary>Snapshots in PostgreSQL, beside the events; concurrent loads of recovering actors share one query.</summary>
internal sealed class PostgreSqlSnapshotRows : ISnapshotRows
{
    private const string InRange = """
        persistence_id = $1 AND sequence_nr BETWEEN $2 AND $3 AND created_at BETWEEN $4 AND $5
        """;

    private readonly NpgsqlDataSource _dataSource;
    private readonly string _s;
    private readonly TableCreation _tables;
    private readonly ReadCoalescer<(string PersistenceId, SnapshotRange Range), SnapshotRow?> _loads;

    public PostgreSqlSnapshotRows(NpgsqlDataSource dataSource, string schema, ReadSettings reads)
    {
        (_dataSource, _s) = (dataSource, schema);
        _tables = new TableCreation(() => PostgreSqlDatabase.CreateTablesAsync(dataSource, schema));
        _loads = new ReadCoalescer<(string, SnapshotRange), SnapshotRow?>("snapshot", LoadBatchAsync, reads.MaxBatch, reads.Parallelism);
    }

    public Task<SnapshotRow?> LoadAsync(string persistenceId, SnapshotRange range, CancellationToken cancellationToken) =>
        _loads.ReadAsync((persistenceId, range), cancellationToken);

    public async Task SaveAsync(SnapshotRow row, CancellationToken cancellationToken)
    {
        await _tables.EnsureAsync().ConfigureAwait(false);
        await using var command = _dataSource.CreateCommand($"""
            INSERT INTO {_s}.nanokit_snapshot (persistence_id, sequence_nr, created_at, serializer_id, manifest, payload)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (persistence_id, sequence_nr) DO UPDATE SET
                created_at = excluded.created_at, serializer_id = excluded.serializer_id,
                manifest = excluded.manifest, payload = excluded.payload
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = row.PersistenceId });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = row.SequenceNr });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = row.CreatedTicks });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = row.SerializerId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = row.Manifest });
        command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = row.Payload });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task DeleteAsync(string persistenceId, SnapshotRange range, CancellationToken cancellationToken)
    {
        await _tables.EnsureAsync().ConfigureAwait(false);
        await using var command = Command($"DELETE FROM {_s}.nanokit_snapshot WHERE {InRange}", persistenceId, range);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await _loads.DisposeAsync().ConfigureAwait(false);
        await _dataSource.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Many actors' snapshot loads in one query: for each, the latest snapshot in its range, if any.</summary>
    private async Task<SnapshotRow?[]> LoadBatchAsync(IReadOnlyList<(string PersistenceId, SnapshotRange Range)> requests)
    {
        await _tables.EnsureAsync().ConfigureAwait(false);
        await using var command = _dataSource.CreateCommand($"""
            SELECT r.i, s.sequence_nr, s.created_at, s.serializer_id, s.manifest, s.payload
            FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[]) WITH ORDINALITY AS r(pid, lo, hi, tlo, thi, i)
            CROSS JOIN LATERAL (
                SELECT * FROM {_s}.nanokit_snapshot
                WHERE persistence_id = r.pid AND sequence_nr BETWEEN r.lo AND r.hi AND created_at BETWEEN r.tlo AND r.thi
                ORDER BY sequence_nr DESC LIMIT 1) s
            """);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = requests.Select(r => r.PersistenceId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = requests.Select(r => r.Range.MinSequenceNr).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = requests.Select(r => r.Range.MaxSequenceNr).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = requests.Select(r => r.Range.MinTicks).ToArray() });
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = requests.Select(r => r.Range.MaxTicks).ToArray() });
        var results = new SnapshotRow?[requests.Count];
        await using var reader = await command.ExecuteReaderAsync().ConfigureAwait(false);
        while (await reader.ReadAsync().ConfigureAwait(false))
        {
            var i = (int)reader.GetInt64(0) - 1;
            results[i] = new SnapshotRow(
                requests[i].PersistenceId, reader.GetInt64(1), reader.GetInt64(2), reader.GetInt32(3), reader.GetString(4), reader.GetFieldValue<byte[]>(5));
        }

        return results;
    }

    private NpgsqlCommand Command(string sql, string persistenceId, SnapshotRange range)
    {
        var command = _dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = persistenceId });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = range.MinSequenceNr });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = range.MaxSequenceNr });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = range.MinTicks });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = range.MaxTicks });
        return command;
    }
}
