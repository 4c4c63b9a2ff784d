using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Nanokit.Core.Model;
using Npgsql;
using NpgsqlTypes;

namespace Nanokit.Server.Runtime;

/// <summary>
/// The observed runtime state of each project, as its owner last saw it, in <c>nanokit_observed</c>: written by the
/// owner (<see cref="ProjectRuntimes"/> records every observation and every replica it creates, starts or deletes),
/// read by any node for PlanProject and CheckDrift, so no request calls a provider. Writes are coalesced: only a
/// project's newest snapshot waits, and one writer sends every waiting project in one round trip.
/// </summary>
internal sealed class ObservedStore(NpgsqlDataSource dataSource, string owner) : BackgroundService
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly ConcurrentDictionary<string, ObservedState> waiting = new(StringComparer.Ordinal);
    private readonly Channel<bool> signal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>Replaces the project's stored snapshot (soon, not at once: the writer runs beside the caller).</summary>
    public void Record(string project, ObservedState state)
    {
        waiting[project] = state;
        signal.Writer.TryWrite(true);
    }

    /// <summary>The project's newest stored snapshot; null when its owner never observed it.</summary>
    public async Task<StoredObservation?> ReadAsync(string project, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT observed, observed_at, owner FROM nanokit_observed WHERE project = @project;");
        command.Parameters.AddWithValue("project", project);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? new StoredObservation(JsonSerializer.Deserialize<ObservedState>(reader.GetString(0), Json)!, reader.GetFieldValue<DateTimeOffset>(1), reader.GetString(2))
            : null;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (await signal.Reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
        {
            signal.Reader.TryRead(out _);
            var batch = new List<KeyValuePair<string, ObservedState>>();
            foreach (var project in waiting.Keys.Order(StringComparer.Ordinal))
            {
                if (waiting.TryRemove(project, out var state))
                {
                    batch.Add(new(project, state));
                }
            }

            try
            {
                await WriteAsync(batch, stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                // Put back what no newer snapshot replaced, and try again after a pause.
                foreach (var (project, state) in batch)
                {
                    waiting.TryAdd(project, state);
                }

                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(false);
                signal.Writer.TryWrite(true);
            }
        }
    }

    private async Task WriteAsync(List<KeyValuePair<string, ObservedState>> batch, CancellationToken cancellationToken)
    {
        if (batch.Count == 0)
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

        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>A project's observed state as stored by <paramref name="Owner"/> at <paramref name="At"/>.</summary>
internal sealed record StoredObservation(ObservedState State, DateTimeOffset At, string Owner);
