using System.Collections.Immutable;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Nanokit.Persistence.Journal;
using Nanokit.Persistence.Serialization;

namespace Nanokit.Persistence.Sqlite;

/// <summary>
/// The embedded journal: one SQLite file in WAL mode. All appends go through one writer
/// connection owned by the group-commit loop (SQLite admits one writer at a time anyway,
/// so a single connection avoids lock contention); reads use pooled connections and run
/// beside it thanks to WAL.
/// </summary>
public sealed class SqliteJournal : IJournal, IAsyncDisposable
{
    private const string SelectColumns = "persistence_id, sequence_nr, manifest, payload, tags, written_at";

    private readonly SqliteStoreOptions _options;
    private readonly EventRegistry _registry;
    private readonly SqliteConnection _writerConnection;
    private readonly GroupCommitWriter _writer;

    private SqliteJournal(SqliteStoreOptions options, EventRegistry registry, SqliteConnection writerConnection)
    {
        _options = options;
        _registry = registry;
        _writerConnection = writerConnection;
        _writer = new GroupCommitWriter(CommitAsync, options.MaxBatchEvents);
    }

    /// <summary>Group commits so far.</summary>
    public long CommittedBatches => _writer.CommittedBatches;

    /// <summary>Opens the file (creating and migrating the schema) and starts the writer loop.</summary>
    public static async Task<SqliteJournal> OpenAsync(SqliteStoreOptions options, EventRegistry registry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(registry);
        await SqliteDatabase.MigrateAsync(options, cancellationToken).ConfigureAwait(false);
        var connection = await SqliteDatabase.OpenAsync(options, cancellationToken).ConfigureAwait(false);
        await SqliteDatabase.ExecuteAsync(connection, $"PRAGMA synchronous = {options.Synchronous};", cancellationToken).ConfigureAwait(false);
        return new SqliteJournal(options, registry, connection);
    }

    public Task AppendAsync(IReadOnlyList<PersistentEvent> events, CancellationToken cancellationToken) =>
        _writer.AppendAsync(events, cancellationToken);

    public async IAsyncEnumerable<PersistentEvent> ReadAsync(
        string persistenceId, long fromSequenceNr, long toSequenceNr, long max, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await SqliteDatabase.OpenAsync(_options, cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT {SelectColumns} FROM journal
            WHERE persistence_id = $pid AND sequence_nr >= $from AND sequence_nr <= $to
            ORDER BY sequence_nr LIMIT $max;
            """;
        command.Parameters.AddWithValue("$pid", persistenceId);
        command.Parameters.AddWithValue("$from", fromSequenceNr);
        command.Parameters.AddWithValue("$to", toSequenceNr);
        command.Parameters.AddWithValue("$max", max);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return ReadEvent(reader, 0);
        }
    }

    public async Task<long> ReadHighestSequenceNrAsync(string persistenceId, CancellationToken cancellationToken)
    {
        await using var connection = await SqliteDatabase.OpenAsync(_options, cancellationToken).ConfigureAwait(false);
        return await HighestAsync(connection, null, persistenceId, cancellationToken).ConfigureAwait(false);
    }

    public async Task DeleteToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken)
    {
        await using var connection = await SqliteDatabase.OpenAsync(_options, cancellationToken).ConfigureAwait(false);
        await using var transaction = connection.BeginTransaction(deferred: false);
        var deleteTo = Math.Min(toSequenceNr, await HighestAsync(connection, transaction, persistenceId, cancellationToken).ConfigureAwait(false));
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            DELETE FROM journal_tags WHERE ordering IN
                (SELECT ordering FROM journal WHERE persistence_id = $pid AND sequence_nr <= $to AND tags IS NOT NULL);
            DELETE FROM journal WHERE persistence_id = $pid AND sequence_nr <= $to;
            INSERT INTO journal_deleted (persistence_id, deleted_to) VALUES ($pid, $to)
                ON CONFLICT (persistence_id) DO UPDATE SET deleted_to = max(deleted_to, excluded.deleted_to);
            """;
        command.Parameters.AddWithValue("$pid", persistenceId);
        command.Parameters.AddWithValue("$to", deleteTo);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<TaggedEvent>> ReadByTagAsync(string tag, long afterOffset, int max, CancellationToken cancellationToken)
    {
        await using var connection = await SqliteDatabase.OpenAsync(_options, cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT j.ordering, {string.Join(", ", SelectColumns.Split(", ").Select(c => "j." + c))}
            FROM journal_tags t JOIN journal j ON j.ordering = t.ordering
            WHERE t.tag = $tag AND t.ordering > $after
            ORDER BY t.ordering LIMIT $max;
            """;
        command.Parameters.AddWithValue("$tag", tag);
        command.Parameters.AddWithValue("$after", afterOffset);
        command.Parameters.AddWithValue("$max", max);
        var found = new List<TaggedEvent>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            found.Add(new TaggedEvent(reader.GetInt64(0), ReadEvent(reader, 1)));
        }

        return found;
    }

    public async ValueTask DisposeAsync()
    {
        await _writer.DisposeAsync().ConfigureAwait(false);
        await _writerConnection.DisposeAsync().ConfigureAwait(false);
    }

    private static async Task<long> HighestAsync(SqliteConnection connection, SqliteTransaction? transaction, string persistenceId, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            SELECT max(
                coalesce((SELECT max(sequence_nr) FROM journal WHERE persistence_id = $pid), 0),
                coalesce((SELECT deleted_to FROM journal_deleted WHERE persistence_id = $pid), 0));
            """;
        command.Parameters.AddWithValue("$pid", persistenceId);
        var result = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return Convert.ToInt64(result, CultureInfo.InvariantCulture);
    }

    private Task CommitAsync(IReadOnlyList<PendingAppend> batch, CancellationToken cancellationToken)
    {
        // Microsoft.Data.Sqlite's async methods complete synchronously, so this is plain
        // synchronous code running on the writer loop's thread.
        using var transaction = _writerConnection.BeginTransaction(deferred: false);
        using var insert = _writerConnection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = """
            INSERT INTO journal (persistence_id, sequence_nr, manifest, payload, tags, written_at)
            VALUES ($pid, $seq, $manifest, $payload, $tags, $at) RETURNING ordering;
            """;
        var pid = insert.Parameters.Add("$pid", SqliteType.Text);
        var seq = insert.Parameters.Add("$seq", SqliteType.Integer);
        var manifest = insert.Parameters.Add("$manifest", SqliteType.Text);
        var payload = insert.Parameters.Add("$payload", SqliteType.Blob);
        var tags = insert.Parameters.Add("$tags", SqliteType.Text);
        var at = insert.Parameters.Add("$at", SqliteType.Integer);
        using var insertTag = _writerConnection.CreateCommand();
        insertTag.Transaction = transaction;
        insertTag.CommandText = "INSERT INTO journal_tags (tag, ordering) VALUES ($tag, $ordering);";
        var tag = insertTag.Parameters.Add("$tag", SqliteType.Text);
        var ordering = insertTag.Parameters.Add("$ordering", SqliteType.Integer);

        foreach (var pending in batch)
        {
            foreach (var e in pending.Events)
            {
                var serialized = _registry.Serialize(e.Payload);
                pid.Value = e.PersistenceId;
                seq.Value = e.SequenceNr;
                manifest.Value = serialized.Manifest;
                payload.Value = serialized.Data;
                tags.Value = e.Tags.IsDefaultOrEmpty ? DBNull.Value : JsonSerializer.Serialize(e.Tags);
                at.Value = e.Timestamp.ToUnixTimeMilliseconds();
                long assigned;
                try
                {
                    assigned = (long)insert.ExecuteScalar()!;
                }
                catch (SqliteException ex) when (SqliteDatabase.IsUniqueViolation(ex))
                {
                    throw new JournalConflictException(pending.PersistenceId, pending.FromSequenceNr, pending.ToSequenceNr, ex);
                }

                if (!e.Tags.IsDefaultOrEmpty)
                {
                    ordering.Value = assigned;
                    foreach (var t in e.Tags.Distinct(StringComparer.Ordinal))
                    {
                        tag.Value = t;
                        insertTag.ExecuteNonQuery();
                    }
                }
            }
        }

        transaction.Commit();
        return Task.CompletedTask;
    }

    private PersistentEvent ReadEvent(SqliteDataReader reader, int first)
    {
        var tagsJson = reader.IsDBNull(first + 4) ? null : reader.GetString(first + 4);
        return new PersistentEvent(
            reader.GetString(first),
            reader.GetInt64(first + 1),
            _registry.Deserialize(reader.GetString(first + 2), (byte[])reader.GetValue(first + 3)),
            tagsJson is null ? [] : JsonSerializer.Deserialize<ImmutableArray<string>>(tagsJson),
            DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(first + 5)));
    }
}
