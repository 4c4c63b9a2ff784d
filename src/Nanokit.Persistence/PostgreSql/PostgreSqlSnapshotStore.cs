using Nanokit.Persistence.Serialization;
using Nanokit.Persistence.Snapshots;
using Npgsql;

namespace Nanokit.Persistence.PostgreSql;

/// <summary>Snapshots in the same schema as the PostgreSQL journal.</summary>
public sealed class PostgreSqlSnapshotStore : ISnapshotStore
{
    private const string CriteriaSql =
        "persistence_id = @pid AND sequence_nr BETWEEN @minSeq AND @maxSeq AND created_at BETWEEN @minAt AND @maxAt";

    private readonly NpgsqlDataSource _dataSource;
    private readonly EventRegistry _registry;
    private readonly string _s;

    private PostgreSqlSnapshotStore(NpgsqlDataSource dataSource, PostgreSqlStoreOptions options, EventRegistry registry)
    {
        _dataSource = dataSource;
        _registry = registry;
        _s = options.Schema;
    }

    /// <summary>Creates/migrates the schema. The data source stays the caller's.</summary>
    public static async Task<PostgreSqlSnapshotStore> OpenAsync(
        NpgsqlDataSource dataSource, PostgreSqlStoreOptions options, EventRegistry registry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(registry);
        await PostgreSqlDatabase.MigrateAsync(dataSource, options, cancellationToken).ConfigureAwait(false);
        return new PostgreSqlSnapshotStore(dataSource, options, registry);
    }

    public async Task SaveAsync(SnapshotMetadata metadata, object snapshot, CancellationToken cancellationToken)
    {
        var serialized = _registry.Serialize(snapshot);
        await using var command = _dataSource.CreateCommand($"""
            INSERT INTO {_s}.snapshots (persistence_id, sequence_nr, created_at, manifest, payload)
            VALUES (@pid, @seq, @at, @manifest, @payload)
            ON CONFLICT (persistence_id, sequence_nr) DO UPDATE
                SET created_at = excluded.created_at, manifest = excluded.manifest, payload = excluded.payload
            """);
        command.Parameters.AddWithValue("pid", metadata.PersistenceId);
        command.Parameters.AddWithValue("seq", metadata.SequenceNr);
        command.Parameters.AddWithValue("at", metadata.Timestamp.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("manifest", serialized.Manifest);
        command.Parameters.AddWithValue("payload", serialized.Data);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<SelectedSnapshot?> LoadAsync(string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand($"""
            SELECT sequence_nr, created_at, manifest, payload FROM {_s}.snapshots
            WHERE {CriteriaSql}
            ORDER BY sequence_nr DESC LIMIT 1
            """);
        AddCriteria(command, persistenceId, criteria);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var metadata = new SnapshotMetadata(persistenceId, reader.GetInt64(0), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)));
        return new SelectedSnapshot(metadata, _registry.Deserialize(reader.GetString(2), reader.GetFieldValue<byte[]>(3)));
    }

    public async Task DeleteAsync(string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand($"DELETE FROM {_s}.snapshots WHERE {CriteriaSql}");
        AddCriteria(command, persistenceId, criteria);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static void AddCriteria(NpgsqlCommand command, string persistenceId, SnapshotSelectionCriteria criteria)
    {
        command.Parameters.AddWithValue("pid", persistenceId);
        command.Parameters.AddWithValue("minSeq", criteria.MinSequenceNr);
        command.Parameters.AddWithValue("maxSeq", criteria.MaxSequenceNr);
        command.Parameters.AddWithValue("minAt", criteria.MinTimestamp.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("maxAt", criteria.MaxTimestamp.ToUnixTimeMilliseconds());
    }
}
