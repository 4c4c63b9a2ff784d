using Microsoft.Data.Sqlite;
using Nanokit.Persistence.Serialization;
using Nanokit.Persistence.Snapshots;

namespace Nanokit.Persistence.Sqlite;

/// <summary>Snapshots in the same SQLite file as the journal.</summary>
public sealed class SqliteSnapshotStore : ISnapshotStore
{
    private readonly SqliteStoreOptions _options;
    private readonly EventRegistry _registry;

    private SqliteSnapshotStore(SqliteStoreOptions options, EventRegistry registry)
    {
        _options = options;
        _registry = registry;
    }

    /// <summary>Opens the file, creating and migrating the schema.</summary>
    public static async Task<SqliteSnapshotStore> OpenAsync(SqliteStoreOptions options, EventRegistry registry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(registry);
        await SqliteDatabase.MigrateAsync(options, cancellationToken).ConfigureAwait(false);
        return new SqliteSnapshotStore(options, registry);
    }

    public async Task SaveAsync(SnapshotMetadata metadata, object snapshot, CancellationToken cancellationToken)
    {
        var serialized = _registry.Serialize(snapshot);
        await using var connection = await SqliteDatabase.OpenAsync(_options, cancellationToken).ConfigureAwait(false);
        await SqliteDatabase.ExecuteAsync(connection, $"PRAGMA synchronous = {_options.Synchronous};", cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO snapshots (persistence_id, sequence_nr, created_at, manifest, payload)
            VALUES ($pid, $seq, $at, $manifest, $payload)
            ON CONFLICT (persistence_id, sequence_nr) DO UPDATE
                SET created_at = excluded.created_at, manifest = excluded.manifest, payload = excluded.payload;
            """;
        command.Parameters.AddWithValue("$pid", metadata.PersistenceId);
        command.Parameters.AddWithValue("$seq", metadata.SequenceNr);
        command.Parameters.AddWithValue("$at", metadata.Timestamp.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$manifest", serialized.Manifest);
        command.Parameters.AddWithValue("$payload", serialized.Data);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<SelectedSnapshot?> LoadAsync(string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken)
    {
        await using var connection = await SqliteDatabase.OpenAsync(_options, cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT sequence_nr, created_at, manifest, payload FROM snapshots
            WHERE persistence_id = $pid AND sequence_nr BETWEEN $minSeq AND $maxSeq AND created_at BETWEEN $minAt AND $maxAt
            ORDER BY sequence_nr DESC LIMIT 1;
            """;
        AddCriteria(command, persistenceId, criteria);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var metadata = new SnapshotMetadata(persistenceId, reader.GetInt64(0), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)));
        return new SelectedSnapshot(metadata, _registry.Deserialize(reader.GetString(2), (byte[])reader.GetValue(3)));
    }

    public async Task DeleteAsync(string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken)
    {
        await using var connection = await SqliteDatabase.OpenAsync(_options, cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            DELETE FROM snapshots
            WHERE persistence_id = $pid AND sequence_nr BETWEEN $minSeq AND $maxSeq AND created_at BETWEEN $minAt AND $maxAt;
            """;
        AddCriteria(command, persistenceId, criteria);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static void AddCriteria(SqliteCommand command, string persistenceId, SnapshotSelectionCriteria criteria)
    {
        command.Parameters.AddWithValue("$pid", persistenceId);
        command.Parameters.AddWithValue("$minSeq", criteria.MinSequenceNr);
        command.Parameters.AddWithValue("$maxSeq", criteria.MaxSequenceNr);
        command.Parameters.AddWithValue("$minAt", criteria.MinTimestamp.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$maxAt", criteria.MaxTimestamp.ToUnixTimeMilliseconds());
    }
}
