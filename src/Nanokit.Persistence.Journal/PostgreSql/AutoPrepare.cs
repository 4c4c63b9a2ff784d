using System.Data.Common;
using Npgsql;

namespace Nanokit.Persistence.Journal.PostgreSql;

/// <summary>
/// Npgsql's automatic preparation (<c>Max Auto Prepare</c>) for a store that sends a few statement texts over and over
/// (the journal's plugins, a node's status and observed writes): a prepared statement skips PostgreSQL's parse and
/// plan on each execution, which was a large share of the store's CPU per project at scale (docs/benchmarks.md,
/// issue 11, s7-owner).
/// </summary>
public static class AutoPrepare
{
    /// <summary>
    /// <paramref name="connectionString"/> keeping up to <paramref name="statements"/> prepared per connection, unless it
    /// sets Max Auto Prepare itself (0 there turns it off); <paramref name="statements"/> 0 leaves it unchanged.
    /// </summary>
    public static string Apply(string connectionString, int statements)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(statements);
        var given = new DbConnectionStringBuilder { ConnectionString = connectionString };
        if (statements == 0 || given.ContainsKey("Max Auto Prepare") || given.ContainsKey("MaxAutoPrepare"))
        {
            return connectionString;
        }

        return new NpgsqlConnectionStringBuilder(connectionString) { MaxAutoPrepare = statements }.ConnectionString;
    }
}
