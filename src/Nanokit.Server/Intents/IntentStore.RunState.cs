using System.Collections.Immutable;
using Npgsql;
using NpgsqlTypes;

namespace Nanokit.Server.Intents;

/// <summary><c>stop</c>, <c>start</c> and <c>restart</c> through the control plane: the same spec as a new generation.</summary>
internal sealed partial class IntentStore
{
    /// <summary>
    /// Stores the project's accepted spec again as the next generation, with <paramref name="stopped"/> kept stopped,
    /// <paramref name="restart"/> stopped and started once by its run, and each replica it stops given
    /// <paramref name="stopTimeout"/> (null: its stop_grace_period); records the event and notifies. Only while the
    /// project is deployed at <paramref name="generation"/>, the intent the caller checked the services against: null
    /// when another intent came first (nothing was written).
    /// </summary>
    public async Task<Accepted?> ChangeRunStateAsync(
        string project, long generation, ImmutableArray<string> stopped, ImmutableArray<string> restart, TimeSpan? stopTimeout, string node, CancellationToken cancellationToken)
    {
        var accepted = await writer.WriteAsync(
            """
            UPDATE nanokit_intents SET generation = generation + 1, accepted_at = now(), revision = revision + 1,
              stop_timeout = @stop_timeout, stopped = @stopped, restart = @restart
            WHERE project = @project AND generation = @generation AND desired = 'deployed'
            """,
            project,
            node,
            Api.V1.DesiredState.Deployed,
            [
                new NpgsqlParameter("generation", generation),
                new NpgsqlParameter("stopped", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = stopped.ToArray() },
                new NpgsqlParameter("restart", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = restart.ToArray() },
                new NpgsqlParameter("stop_timeout", NpgsqlDbType.Interval) { Value = stopTimeout is { } timeout ? timeout : DBNull.Value },
            ],
            cancellationToken).ConfigureAwait(false);
        return accepted.Generation == 0 ? null : accepted;
    }
}
