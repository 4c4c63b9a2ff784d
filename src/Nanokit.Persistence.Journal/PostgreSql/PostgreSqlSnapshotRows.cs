using Npgsql;

namespace Nanokit.Persistence.Journal.PostgreSql;

/// <summary>Snapshots in PostgreSQL, beside the events.</summary>
internal sealed class PostgreSqlSnapshotRows : ISnapshotRows
{
    private const string InRange = """
        persistence_id = $1 AND sequence_nr BETWEEN $2 AND $3 AND created_at BETWEEN $4 AND $5
        """;

    private readonly NpgsqlDataSource _dataSource;
    private readonly string _s;
    private readonly Lazy<Task> _tables;

    public PostgreSqlSnapshotRows(NpgsqlDataSource dataSource, string schema)
    {
        (_dataSource, _s) = (dataSource, schema);
        _tables = new Lazy<Task>(() => PostgreSqlDatabase.CreateTablesAsync(dataSource, schema));
    }

    public async Task<SnapshotRow?> LoadAsync(string persistenceId, SnapshotRange range, CancellationToken cancellationToken)
    {
        await _tables.Value.ConfigureAwait(false);
        await using var command = Command($"""
            SELECT sequence_nr, created_at, serializer_id, manifest, payload FROM {_s}.nanokit_snapshot
            WHERE {InRange} ORDER BY sequence_nr DESC LIMIT 1
            """, persistenceId, range);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? new SnapshotRow(persistenceId, reader.GetInt64(0), reader.GetInt64(1), reader.GetInt32(2), reader.GetString(3), reader.GetFieldValue<byte[]>(4))
            : null;
    }

    public async Task SaveAsync(SnapshotRow row, CancellationToken cancellationToken)
    {
        await _tables.Value.ConfigureAwait(false);
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
        await _tables.Value.ConfigureAwait(false);
        await using var command = Command($"DELETE FROM {_s}.nanokit_snapshot WHERE {InRange}", persistenceId, range);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

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
