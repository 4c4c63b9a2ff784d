using System.Threading.Channels;
using Nanokit.Server.Events;
using Npgsql;
using NpgsqlTypes;

namespace Nanokit.Server.Intents;

/// <summary>
/// Group commit of intents. A transaction that NOTIFYs holds PostgreSQL's notification queue lock from its commit
/// until it ends, fsync included, so notifying writes commit one at a time: one intent per transaction capped the API
/// at what one fsync allows (measured with pgbench here: 290 transactions/s with the NOTIFY, 1 100 without, 32
/// clients). Each write queues here; one loop commits whatever has queued (up to <c>max-batch</c>) in one
/// transaction and one round trip, so that cost is paid once per batch. Batching is natural, not timed: while one
/// commit runs the next batch accumulates, so a lone write sees no added latency. Rows are written in project order
/// (as <see cref="EventLog"/> writes), so concurrent writers lock projects in the same order. A failed commit fails
/// every write of its batch: none of it was stored.
/// </summary>
internal sealed class IntentWriter
{
    private readonly Channel<Write> queue = Channel.CreateUnbounded<Write>(new UnboundedChannelOptions { SingleReader = true });
    private readonly NpgsqlDataSource dataSource;
    private readonly string channel;
    private readonly string eventsChannel;
    private readonly int maxBatch;

    public IntentWriter(NpgsqlDataSource dataSource, string channel, string eventsChannel, int maxBatch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        this.dataSource = dataSource;
        this.channel = channel;
        this.eventsChannel = eventsChannel;
        this.maxBatch = maxBatch;
        _ = Task.Run(RunAsync);
    }

    /// <summary>
    /// Queues one write: <paramref name="upsert"/> (one statement returning the project's generation and revision,
    /// or no row) and the intent's event; completes when committed, with generation 0 when no row. Cancelling stops
    /// the wait, not the write.
    /// </summary>
    public Task<Accepted> WriteAsync(string upsert, string project, string node, Api.V1.DesiredState desired, IReadOnlyList<NpgsqlParameter> parameters, CancellationToken cancellationToken)
    {
        var write = new Write(upsert, project, ProjectEvents.ToJson(ProjectEvents.Accepted(project, 0, node, desired)), parameters);
        queue.Writer.TryWrite(write);
        return write.Completion.Task.WaitAsync(cancellationToken);
    }

    private async Task RunAsync()
    {
        var reader = queue.Reader;
        var batch = new List<Write>();
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < maxBatch && reader.TryRead(out var write))
            {
                batch.Add(write);
            }

            try
            {
                var accepted = await CommitAsync(batch).ConfigureAwait(false);
                for (var i = 0; i < batch.Count; i++)
                {
                    batch[i].Completion.TrySetResult(accepted[i]);
                }
            }
            catch (Exception e)
            {
                batch.ForEach(w => w.Completion.TrySetException(e));
            }
        }
    }

    private async Task<Accepted[]> CommitAsync(List<Write> batch)
    {
        // Stable: two writes of one project in a batch keep their order, so the later one is the later generation.
        var ordered = batch.Select((write, index) => (write, index)).OrderBy(w => w.write.Project, StringComparer.Ordinal).ToList();
        await using var connection = await dataSource.OpenConnectionAsync().ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync().ConfigureAwait(false);
        await using var commands = new NpgsqlBatch(connection, transaction);
        foreach (var (write, _) in ordered)
        {
            // The event is stored as written, with the generation the upsert allocated.
            var command = new NpgsqlBatchCommand(
                $"""
                WITH w AS ({write.Upsert} RETURNING generation, revision),
                e AS (INSERT INTO nanokit_events (project, revision, generation, event)
                  SELECT @project, revision, generation, @event || jsonb_build_object('generation', generation::text) FROM w)
                SELECT generation, revision FROM w;
                """);
            command.Parameters.AddWithValue("project", write.Project);
            command.Parameters.AddWithValue("event", NpgsqlDbType.Jsonb, write.Event);
            foreach (var parameter in write.Parameters)
            {
                command.Parameters.Add(parameter);
            }
            commands.BatchCommands.Add(command);
        }

        // Ids only, and only of projects that have an intent (a delete of an unknown project wrote nothing).
        var notify = new NpgsqlBatchCommand("SELECT pg_notify(@channel, project), pg_notify(@events_channel, project) FROM nanokit_intents WHERE project = ANY(@projects);");
        notify.Parameters.AddWithValue("channel", channel);
        notify.Parameters.AddWithValue("events_channel", eventsChannel);
        notify.Parameters.AddWithValue("projects", batch.Select(w => w.Project).Distinct().ToArray());
        commands.BatchCommands.Add(notify);

        var accepted = new Accepted[batch.Count];
        await using (var reader = await commands.ExecuteReaderAsync().ConfigureAwait(false))
        {
            foreach (var (_, index) in ordered)
            {
                accepted[index] = await reader.ReadAsync().ConfigureAwait(false) ? new Accepted(reader.GetInt64(0), reader.GetInt64(1)) : new Accepted(0, 0);
                await reader.NextResultAsync().ConfigureAwait(false);
            }
        }

        await transaction.CommitAsync().ConfigureAwait(false);
        return accepted;
    }

    /// <summary>One queued intent write; the parameters are the upsert's own.</summary>
    private sealed record Write(string Upsert, string Project, string Event, IReadOnlyList<NpgsqlParameter> Parameters)
    {
        // Continuations run elsewhere, so a caller's continuation never runs inside the writer loop.
        public TaskCompletionSource<Accepted> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
