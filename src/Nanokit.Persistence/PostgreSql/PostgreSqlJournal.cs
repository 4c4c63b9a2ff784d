using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Nanokit.Persistence.Journal;
using Nanokit.Persistence.Serialization;
using Npgsql;

namespace Nanokit.Persistence.PostgreSql;

/// <summary>
/// The multi-node journal. A group commit is one implicit transaction in one round trip:
/// an advisory lock plus a single INSERT … SELECT unnest(arrays) carrying every event (and,
/// through a CTE, every tag row) of the batch.
///
/// The advisory lock serializes commits of all nodes on this schema. Without it, two
/// transactions could take identity values 10 and 11 and commit 11 first; a tag reader
/// that saw 11 and resumed "after 11" would miss 10 forever. With it, offsets become
/// visible in order. Group commit keeps the lock's cost to one acquisition per batch.
/// </summary>
public sealed class PostgreSqlJournal : IJournal, IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly EventRegistry _registry;
    private readonly GroupCommitWriter _writer;
    private readonly string _insertSql;
    private readonly long _orderingLockKey;
    private readonly string _s;

    private PostgreSqlJournal(NpgsqlDataSource dataSource, PostgreSqlStoreOptions options, EventRegistry registry)
    {
        _dataSource = dataSource;
        _registry = registry;
        _s = options.Schema;
        _orderingLockKey = PostgreSqlDatabase.OrderingLockKey(options.Schema);
        _insertSql = $"""
            WITH ins AS (
                INSERT INTO {_s}.journal (persistence_id, sequence_nr, manifest, payload, tags, written_at)
                SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bytea[], $5::text[], $6::bigint[])
                RETURNING ordering, persistence_id, sequence_nr)
            INSERT INTO {_s}.journal_tags (tag, ordering)
            SELECT t.tag, ins.ordering
            FROM ins JOIN unnest($7::text[], $8::bigint[], $9::text[]) AS t(pid, seq, tag)
                ON ins.persistence_id = t.pid AND ins.sequence_nr = t.seq
            """;
        _writer = new GroupCommitWriter(CommitAsync, options.MaxBatchEvents);
    }

    /// <summary>Group commits so far.</summary>
    public long CommittedBatches => _writer.CommittedBatches;

    /// <summary>Creates/migrates the schema and starts the writer loop. The data source stays the caller's.</summary>
    public static async Task<PostgreSqlJournal> OpenAsync(
        NpgsqlDataSource dataSource, PostgreSqlStoreOptions options, EventRegistry registry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(registry);
        await PostgreSqlDatabase.MigrateAsync(dataSource, options, cancellationToken).ConfigureAwait(false);
        return new PostgreSqlJournal(dataSource, options, registry);
    }

    public Task AppendAsync(IReadOnlyList<PersistentEvent> events, CancellationToken cancellationToken) =>
        _writer.AppendAsync(events, cancellationToken);

    public async IAsyncEnumerable<PersistentEvent> ReadAsync(
        string persistenceId, long fromSequenceNr, long toSequenceNr, long max, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand($"""
            SELECT persistence_id, sequence_nr, manifest, payload, tags, written_at FROM {_s}.journal
            WHERE persistence_id = @pid AND sequence_nr BETWEEN @from AND @to
            ORDER BY sequence_nr LIMIT @max
            """);
        command.Parameters.AddWithValue("pid", persistenceId);
        command.Parameters.AddWithValue("from", fromSequenceNr);
        command.Parameters.AddWithValue("to", toSequenceNr);
        command.Parameters.AddWithValue("max", max);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return ReadEvent(reader, 0);
        }
    }

    public async Task<long> ReadHighestSequenceNrAsync(string persistenceId, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await HighestAsync(connection, null, persistenceId, cancellationToken).ConfigureAwait(false);
    }

    public async Task DeleteToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var deleteTo = Math.Min(toSequenceNr, await HighestAsync(connection, transaction, persistenceId, cancellationToken).ConfigureAwait(false));
        await using var command = new NpgsqlCommand(
            $"""
            DELETE FROM {_s}.journal_tags WHERE ordering IN
                (SELECT ordering FROM {_s}.journal WHERE persistence_id = @pid AND sequence_nr <= @to AND tags IS NOT NULL);
            DELETE FROM {_s}.journal WHERE persistence_id = @pid AND sequence_nr <= @to;
            INSERT INTO {_s}.journal_deleted AS d (persistence_id, deleted_to) VALUES (@pid, @to)
                ON CONFLICT (persistence_id) DO UPDATE SET deleted_to = greatest(d.deleted_to, excluded.deleted_to);
            """,
            connection,
            transaction);
        command.Parameters.AddWithValue("pid", persistenceId);
        command.Parameters.AddWithValue("to", deleteTo);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<TaggedEvent>> ReadByTagAsync(string tag, long afterOffset, int max, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand($"""
            SELECT j.ordering, j.persistence_id, j.sequence_nr, j.manifest, j.payload, j.tags, j.written_at
            FROM {_s}.journal_tags t JOIN {_s}.journal j ON j.ordering = t.ordering
            WHERE t.tag = @tag AND t.ordering > @after
            ORDER BY t.ordering LIMIT @max
            """);
        command.Parameters.AddWithValue("tag", tag);
        command.Parameters.AddWithValue("after", afterOffset);
        command.Parameters.AddWithValue("max", max);
        var found = new List<TaggedEvent>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            found.Add(new TaggedEvent(reader.GetInt64(0), ReadEvent(reader, 1)));
        }

        return found;
    }

    public ValueTask DisposeAsync() => _writer.DisposeAsync();

    private async Task<long> HighestAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string persistenceId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"""
            SELECT greatest(
                coalesce((SELECT max(sequence_nr) FROM {_s}.journal WHERE persistence_id = @pid), 0),
                coalesce((SELECT deleted_to FROM {_s}.journal_deleted WHERE persistence_id = @pid), 0))
            """,
            connection,
            transaction);
        command.Parameters.AddWithValue("pid", persistenceId);
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    private async Task CommitAsync(IReadOnlyList<PendingAppend> batch, CancellationToken cancellationToken)
    {
        var count = batch.Sum(p => p.Events.Count);
        var pids = new string[count];
        var seqs = new long[count];
        var manifests = new string[count];
        var payloads = new byte[count][];
        var tags = new string?[count];
        var ats = new long[count];
        var tagPids = new List<string>();
        var tagSeqs = new List<long>();
        var tagNames = new List<string>();
        var i = 0;
        foreach (var e in batch.SelectMany(p => p.Events))
        {
            var serialized = _registry.Serialize(e.Payload);
            pids[i] = e.PersistenceId;
            seqs[i] = e.SequenceNr;
            manifests[i] = serialized.Manifest;
            payloads[i] = serialized.Data;
            ats[i] = e.Timestamp.ToUnixTimeMilliseconds();
            if (!e.Tags.IsDefaultOrEmpty)
            {
                tags[i] = JsonSerializer.Serialize(e.Tags);
                foreach (var tag in e.Tags.Distinct(StringComparer.Ordinal))
                {
                    tagPids.Add(e.PersistenceId);
                    tagSeqs.Add(e.SequenceNr);
                    tagNames.Add(tag);
                }
            }

            i++;
        }

        // No explicit transaction: the statements of one batch travel in one round trip and,
        // ending in a single Sync, run as one implicit transaction that commits (durably,
        // synchronous_commit on) when the last succeeds, or rolls back whole on any error.
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlBatch(connection);
        var lockCommand = new NpgsqlBatchCommand("SELECT pg_advisory_xact_lock($1)");
        lockCommand.Parameters.Add(new NpgsqlParameter<long> { TypedValue = _orderingLockKey });
        command.BatchCommands.Add(lockCommand);
        var insert = new NpgsqlBatchCommand(_insertSql);

        // Batch commands take positional parameters only.
        foreach (var value in new object[] { pids, seqs, manifests, payloads, tags, ats, tagPids.ToArray(), tagSeqs.ToArray(), tagNames.ToArray() })
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        command.BatchCommands.Add(insert);
        try
        {
            // Prepared statements persist on the pooled physical connection, so after the first
            // batch on a connection this is a lookup and PostgreSQL skips parsing and planning.
            await command.PrepareAsync(cancellationToken).ConfigureAwait(false);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException e) when (PostgreSqlDatabase.IsUniqueViolation(e))
        {
            // The error does not say which append of the batch conflicted; the writer
            // retries each append alone, and then the range named here is exact.
            throw new JournalConflictException(batch[0].PersistenceId, batch[0].FromSequenceNr, batch[0].ToSequenceNr, e);
        }
    }

    private PersistentEvent ReadEvent(NpgsqlDataReader reader, int first)
    {
        var tagsJson = reader.IsDBNull(first + 4) ? null : reader.GetString(first + 4);
        return new PersistentEvent(
            reader.GetString(first),
            reader.GetInt64(first + 1),
            _registry.Deserialize(reader.GetString(first + 2), reader.GetFieldValue<byte[]>(first + 3)),
            tagsJson is null ? [] : JsonSerializer.Deserialize<ImmutableArray<string>>(tagsJson),
            DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(first + 5)));
    }
}
