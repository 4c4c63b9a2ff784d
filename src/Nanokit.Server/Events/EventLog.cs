using System.Collections.Immutable;
using Nanokit.Server.Api.V1;
using Nanokit.Server.Intents;
using Nanokit.Server.Runtime;
using Npgsql;
using NpgsqlTypes;

namespace Nanokit.Server.Events;

/// <summary>
/// Each project's event log in <c>nanokit_events</c>, keyed by (project, revision). Design note: a revision is per
/// project, allocated by incrementing <c>nanokit_intents.revision</c> in the transaction that inserts the events.
/// That update holds the project's row lock until commit, so two writers of one project (the API accepting an
/// intent, the owner recording its run, an old and a new owner around a failover) commit their revisions in order:
/// a reader that saw revision n never later finds a new n' &lt; n. Hence "every event after n" is exact, and a watch
/// resumes on any node. A global sequence would not do: sequence values are taken before commit, and commit order
/// can differ. Only the newest <c>keep</c> events of a project are kept (pruned as they are written).
/// </summary>
internal sealed class EventLog(NpgsqlDataSource dataSource, string channel, int keep, ObservedStore observed)
{
    /// <summary>
    /// Writes the reports and events in one transaction and one round trip, projects in name order (so two writers
    /// lock project rows in the same order), then notifies each project's watchers. Events of a project whose
    /// intent is gone are dropped with it. The observed state waiting for these projects commits with them, so a
    /// reader that sees an event sees the replicas of that moment.
    /// </summary>
    public Task WriteAsync(IReadOnlyList<StatusReport> reports, IReadOnlyList<ProjectEvent> events, CancellationToken cancellationToken) =>
        observed.WriteAlongAsync(
            [.. events.Select(e => e.Project).Concat(reports.Select(r => r.Project)).Distinct(StringComparer.Ordinal)],
            upserts => WriteAsync(reports, events, upserts, cancellationToken),
            cancellationToken);

    private async Task WriteAsync(
        IReadOnlyList<StatusReport> reports, IReadOnlyList<ProjectEvent> events, IReadOnlyList<NpgsqlBatchCommand> upserts, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var batch = new NpgsqlBatch(connection, transaction);
        foreach (var project in events.GroupBy(e => e.Project, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            // One statement per project: the revisions, the events, the prune of those past keep (older rows only: the
            // statement's own inserts are not visible to its delete, so a batch longer than keep is pruned by the next
            // write) and the notification. It was three statements; at scale each costs the store as much as its work.
            var command = new NpgsqlBatchCommand(
                """
                WITH r AS (UPDATE nanokit_intents SET revision = revision + @count WHERE project = @project RETURNING revision - @count AS base),
                i AS (
                  INSERT INTO nanokit_events (project, revision, generation, event)
                  SELECT @project, r.base + e.ord, e.generation, e.event
                  FROM r, unnest(@generations::bigint[], @events::jsonb[]) WITH ORDINALITY AS e(generation, event, ord)),
                d AS (DELETE FROM nanokit_events WHERE project = @project AND revision <= (SELECT base + @count - @keep FROM r))
                SELECT pg_notify(@channel, @project);
                """);
            var list = project.ToList();
            command.Parameters.AddWithValue("project", project.Key);
            command.Parameters.AddWithValue("count", (long)list.Count);
            command.Parameters.AddWithValue("generations", list.Select(e => e.Generation).ToArray());
            command.Parameters.AddWithValue("events", NpgsqlDbType.Array | NpgsqlDbType.Jsonb, list.Select(ProjectEvents.ToJson).ToArray());
            command.Parameters.AddWithValue("keep", (long)keep);
            command.Parameters.AddWithValue("channel", channel);
            batch.BatchCommands.Add(command);
        }

        foreach (var report in reports)
        {
            batch.BatchCommands.Add(IntentStore.ReportCommand(report));
        }

        foreach (var upsert in upserts)
        {
            batch.BatchCommands.Add(upsert);
        }

        if (batch.BatchCommands.Count > 0)
        {
            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>At most <paramref name="limit"/> events of <paramref name="project"/> with a revision above <paramref name="after"/>, oldest first.</summary>
    public async Task<ImmutableArray<ProjectEvent>> ReadAsync(string project, long after, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT revision, event FROM nanokit_events WHERE project = @project AND revision > @after ORDER BY revision LIMIT @limit;");
        command.Parameters.AddWithValue("project", project);
        command.Parameters.AddWithValue("after", after);
        command.Parameters.AddWithValue("limit", limit);
        EventTelemetry.Reads.Add(1);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var events = ImmutableArray.CreateBuilder<ProjectEvent>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            events.Add(ProjectEvents.FromJson(reader.GetString(1), reader.GetInt64(0)));
        }

        return events.ToImmutable();
    }

    /// <summary>The project's newest revision; null when no intent was ever stored for it.</summary>
    public async Task<long?> RevisionAsync(string project, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT revision FROM nanokit_intents WHERE project = @project;");
        command.Parameters.AddWithValue("project", project);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as long?;
    }
}
