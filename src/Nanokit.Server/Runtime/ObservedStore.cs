using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Nanokit.Core.Model;
using Nanokit.Core.Plan;
using Npgsql;
using NpgsqlTypes;

namespace Nanokit.Server.Runtime;

/// <summary>
/// The observed runtime state of each project, as its owner last saw it, in <c>nanokit_observed</c>: written by the
/// owner (<see cref="ProjectRuntimes"/> records every observation and every replica it creates, starts or deletes),
/// read by any node for PlanProject and CheckDrift, so no request calls a provider. Beside it, in <c>nanokit_restarts</c>,
/// the replicas' restart counts the owner's project entity keeps in its journal (<see cref="Reconciler.RestartsCounted"/>),
/// so that those plans leave a replica exited once its <c>on-failure:N</c> is spent, as the owner does. Writes are
/// coalesced: only a project's newest snapshot and counts wait, and one writer sends every waiting project in one round trip,
/// <paramref name="writeDelay"/> after the first change it has not written: a run records its project several times (the
/// observation, then each replica created and started), and the delay makes those one write (at scale 4.9 writes per project
/// without it; docs/benchmarks.md, s7-owner). Readers on other nodes see a change that much later.
/// </summary>
internal sealed class ObservedStore(NpgsqlDataSource dataSource, string owner, TimeSpan writeDelay) : BackgroundService
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly ConcurrentDictionary<string, ObservedState> waiting = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ImmutableArray<RestartCount>> waitingRestarts = new(StringComparer.Ordinal);
    private readonly Channel<bool> signal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>Replaces the project's stored snapshot (soon, not at once: the writer runs beside the caller).</summary>
    public void Record(string project, ObservedState state)
    {
        waiting[project] = state;
        signal.Writer.TryWrite(true);
    }

    /// <summary>Replaces the project's stored restart counts (soon, as <see cref="Record"/>).</summary>
    public void RecordRestarts(string project, ImmutableArray<RestartCount> counts)
    {
        waitingRestarts[project] = counts;
        signal.Writer.TryWrite(true);
    }

    /// <summary>The project's newest stored snapshot with its restart counts; null when its owner never observed it.</summary>
    public async Task<StoredObservation?> ReadAsync(string project, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT o.observed, o.observed_at, o.owner, r.counts FROM nanokit_observed o LEFT JOIN nanokit_restarts r ON r.project = o.project WHERE o.project = @project;");
        command.Parameters.AddWithValue("project", project);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var restarts = reader.IsDBNull(3) ? [] : JsonSerializer.Deserialize<ImmutableArray<RestartCount>>(reader.GetString(3), Json);
        return new StoredObservation(JsonSerializer.Deserialize<ObservedState>(reader.GetString(0), Json)!, reader.GetFieldValue<DateTimeOffset>(1), reader.GetString(2))
        {
            Restarts = restarts.IsDefault ? [] : restarts,
        };
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (await signal.Reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
        {
            await Task.Delay(writeDelay, stoppingToken).ConfigureAwait(false);
            signal.Reader.TryRead(out _);
            var batch = Take(waiting);
            var restarts = Take(waitingRestarts);
            try
            {
                await WriteAsync(batch, restarts, stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                // Put back what nothing newer replaced, and try again after a pause.
                foreach (var (project, state) in batch)
                {
                    waiting.TryAdd(project, state);
                }

                foreach (var (project, counts) in restarts)
                {
                    waitingRestarts.TryAdd(project, counts);
                }

                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(false);
                signal.Writer.TryWrite(true);
            }
        }
    }

    /// <summary>A graceful stop writes what the delay still holds, so the other nodes do not read an older run until a new owner observes.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await WriteAsync(Take(waiting), Take(waitingRestarts), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or OperationCanceledException)
        {
            // The store is unreachable or the host gave up waiting: the new owner's first observation replaces it anyway.
        }
    }

    private static List<KeyValuePair<string, T>> Take<T>(ConcurrentDictionary<string, T> from)
    {
        var batch = new List<KeyValuePair<string, T>>();
        foreach (var project in from.Keys.Order(StringComparer.Ordinal))
        {
            if (from.TryRemove(project, out var value))
            {
                batch.Add(new(project, value));
            }
        }

        return batch;
    }

    private async Task WriteAsync(
        List<KeyValuePair<string, ObservedState>> batch, List<KeyValuePair<string, ImmutableArray<RestartCount>>> restarts, CancellationToken cancellationToken)
    {
        if (batch.Count == 0 && restarts.Count == 0)
        {
            return;
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlBatch(connection);
        foreach (var (project, state) in batch)
        {
            var upsert = new NpgsqlBatchCommand(
                """
                INSERT INTO nanokit_observed (project, observed, observed_at, owner) VALUES (@project, @observed, now(), @owner)
                ON CONFLICT (project) DO UPDATE SET observed = EXCLUDED.observed, observed_at = now(), owner = EXCLUDED.owner;
                """);
            upsert.Parameters.AddWithValue("project", project);
            upsert.Parameters.AddWithValue("observed", NpgsqlDbType.Jsonb, JsonSerializer.Serialize(state, Json));
            upsert.Parameters.AddWithValue("owner", owner);
            command.BatchCommands.Add(upsert);
        }

        foreach (var (project, counts) in restarts)
        {
            var upsert = new NpgsqlBatchCommand(
                """
                INSERT INTO nanokit_restarts (project, counts, owner, updated_at) VALUES (@project, @counts, @owner, now())
                ON CONFLICT (project) DO UPDATE SET counts = EXCLUDED.counts, owner = EXCLUDED.owner, updated_at = now();
                """);
            upsert.Parameters.AddWithValue("project", project);
            upsert.Parameters.AddWithValue("counts", NpgsqlDbType.Jsonb, JsonSerializer.Serialize(counts, Json));
            upsert.Parameters.AddWithValue("owner", owner);
            command.BatchCommands.Add(upsert);
        }

        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>A project's observed state as stored by <paramref name="Owner"/> at <paramref name="At"/>.</summary>
internal sealed record StoredObservation(ObservedState State, DateTimeOffset At, string Owner)
{
    /// <summary>The replicas' restart counts the owner last recorded (none before its first heal).</summary>
    public ImmutableArray<RestartCount> Restarts { get; init; } = [];
}
