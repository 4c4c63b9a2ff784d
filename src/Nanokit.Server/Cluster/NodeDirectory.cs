using Npgsql;

namespace Nanokit.Server.Cluster;

/// <summary>
/// Which API URL each node serves, by cluster address, in <c>nanokit_nodes</c>: a node records itself when it starts,
/// so a node that must forward a call to a project's owner (StreamLogs) can reach that owner's listener.
/// </summary>
internal sealed class NodeDirectory(NpgsqlDataSource dataSource)
{
    public async Task RegisterAsync(string address, string apiUrl, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            CREATE TABLE IF NOT EXISTS nanokit_nodes (address text PRIMARY KEY, api_url text NOT NULL, started_at timestamptz NOT NULL);
            INSERT INTO nanokit_nodes (address, api_url, started_at) VALUES (@address, @url, now())
            ON CONFLICT (address) DO UPDATE SET api_url = EXCLUDED.api_url, started_at = now();
            """);
        command.Parameters.AddWithValue("address", address);
        command.Parameters.AddWithValue("url", apiUrl);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>When each node that registered last started, by cluster address; empty before any node registered.</summary>
    public async Task<IReadOnlyDictionary<string, DateTimeOffset>> StartedAtAsync(CancellationToken cancellationToken)
    {
        var started = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        try
        {
            await using var command = dataSource.CreateCommand("SELECT address, started_at FROM nanokit_nodes;");
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                started[reader.GetString(0)] = reader.GetFieldValue<DateTimeOffset>(1);
            }
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            // The first node asked before it registered: no node has a start time yet.
        }

        return started;
    }

    /// <summary>The API URL the node at <paramref name="address"/> registered; null when it never did.</summary>
    public async Task<string?> ApiUrlAsync(string address, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT api_url FROM nanokit_nodes WHERE address = @address;");
        command.Parameters.AddWithValue("address", address);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
    }
}
