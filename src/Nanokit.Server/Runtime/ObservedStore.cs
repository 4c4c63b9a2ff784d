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
/// read by any node for GetProject, PlanProject and CheckDrift, so no request calls a provider. Beside it, in
/// <c>nanokit_restarts</c>, the replicas' restart counts the owner's project entity keeps in its journal
/// (<see cref="Reconciler.RestartsCounted"/>), so that those plans leave a replica exited once its <c>on-failure:N</c>
/// is spent, as the owner does. Only a project's newest snapshot and counts wait to be written. A run records its
/// project several times (the observation, each replica created and started), and each of those is followed by a run
/// event, so the event log's transaction carries them (<see cref="WriteAlongAsync"/>): a reader that sees an event also
/// sees the replicas as they were when it was published, and a run costs no transaction of its own here (at scale a
/// run wrote its observation 4.6–5.3 times, each in its own round trip; docs/benchmarks.md, s7-owner). What no event
/// carries within <paramref name="writeDelay"/> (a drift check that found nothing, a graceful stop) is written by this
/// store's own loop. One gate orders the two writers, so an older snapshot never replaces a newer one.
/// </summary>
internal sealed class ObservedStore(NpgsqlDataSource dataSource, string owner, TimeSpan writeDelay) : BackgroundService
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly ConcurrentDictionary<string, ObservedState> waiting = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ImmutableArray<RestartCount>> waitingRestarts = new(StringComparer.Ordinal);
    private readonly Channel<bool> signal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly SemaphoreSlim gate = new(1, 1);

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

    /// <summary>
    /// Runs <paramref name="write"/> (one transaction of the caller's) with the upserts of what waits for
    /// <paramref name="projects"/> added to its batch, so they commit with it; if it throws they wait again.
    /// </summary>
    public async Task WriteAlongAsync(IReadOnlyCollection<string> projects, Func<IReadOnlyList<NpgsqlBatchCommand>, Task> write, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var (batch, restarts) = (Take(waiting, projects), Take(waitingRestarts, projects));
            try
            {
                await write(Upserts(batch, restarts)).ConfigureAwait(false);
            }
            catch
            {
                PutBack(batch, restarts);
                throw;
            }
        }
        finally
        {
            gate.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (await signal.Reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
        {
            // The run's next event most often carries the change meanwhile; what is left is written here.
            await Task.Delay(writeDelay, stoppingToken).ConfigureAwait(false);
            signal.Reader.TryRead(out _);
            try
            {
                await WriteAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(false);
                signal.Writer.TryWrite(true);
            }
        }
    }

    /// <summary>A graceful stop writes what still waits, so the other nodes do not read an older run until a new owner observes.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await WriteAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or OperationCanceledException)
        {
            // The store is unreachable or the host gave up waiting: the new owner's first observation replaces it anyway.
        }
    }

    private static List<KeyValuePair<string, T>> Take<T>(ConcurrentDictionary<string, T> from, IEnumerable<string> projects)
    {
        var batch = new List<KeyValuePair<string, T>>();
        foreach (var project in projects.Order(StringComparer.Ordinal))
        {
            if (from.TryRemove(project, out var value))
            {
                batch.Add(new(project, value));
            }
        }

        return batch;
    }

    /// <summary>Puts back what nothing newer replaced meanwhile.</summary>
    private void PutBack(List<KeyValuePair<string, ObservedState>> batch, List<KeyValuePair<string, ImmutableArray<RestartCount>>> restarts)
    {
        foreach (var (project, state) in batch)
        {
            waiting.TryAdd(project, state);
        }

        foreach (var (project, counts) in restarts)
        {
            waitingRestarts.TryAdd(project, counts);
        }

        signal.Writer.TryWrite(true);
    }

    /// <summary>Everything that waits, in its own transaction.</summary>
    private async Task WriteAsync(CancellationToken cancellationToken)
    {
        await WriteAlongAsync(
            [.. waiting.Keys.Union(waitingRestarts.Keys, StringComparer.Ordinal)],
            async upserts =>
            {
                if (upserts.Count == 0)
                {
                    return;
                }

                await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                await using var batch = new NpgsqlBatch(connection);
                foreach (var upsert in upserts)
                {
                    batch.BatchCommands.Add(upsert);
                }

                await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            },
            cancellationToken).ConfigureAwait(false);
    }

    private List<NpgsqlBatchCommand> Upserts(List<KeyValuePair<string, ObservedState>> batch, List<KeyValuePair<string, ImmutableArray<RestartCount>>> restarts)
    {
        var upserts = new List<NpgsqlBatchCommand>(batch.Count + restarts.Count);
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
            upserts.Add(upsert);
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
            upserts.Add(upsert);
        }

        return upserts;
    }
}

/// <summary>A project's observed state as stored by <paramref name="Owner"/> at <paramref name="At"/>.</summary>
internal sealed record StoredObservation(ObservedState State, DateTimeOffset At, string Owner)
{
    /// <summary>The replicas' restart counts the owner last recorded (none before its first heal).</summary>
    public ImmutableArray<RestartCount> Restarts { get; init; } = [];
}
