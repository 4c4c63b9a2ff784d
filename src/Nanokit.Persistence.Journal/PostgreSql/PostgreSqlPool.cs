using System.Data.Common;
using Npgsql;

namespace Nanokit.Persistence.Journal.PostgreSql;

/// <summary>
/// The connection pool settings Nanokit's PostgreSQL data sources use, applied to the operator's connection string
/// where it does not set them itself.
///
/// Design note. At ten thousand projects a control-plane node runs a few statements per project, each on a connection
/// taken from the pool and given back. By default Npgsql then sends <c>DISCARD ALL</c> on every return (one more round
/// trip, half the transactions a project cost) and PostgreSQL parses and plans every statement anew. Nanokit keeps no
/// session state on a pooled connection (its locks are transaction-scoped; the LISTEN connections are held, not
/// pooled, while they listen), so the reset is skipped; and the statements it repeats are prepared once per
/// connection (auto-prepare). Both are Npgsql connection-string keywords, so an operator's string that names either
/// keeps its own value.
/// </summary>
public static class PostgreSqlPool
{
    /// <summary>Statements prepared per connection: more than the distinct statements Nanokit repeats.</summary>
    private const int AutoPrepared = 64;

    public static string Tuned(string connectionString)
    {
        // The generic builder keeps only the keywords given, as written; Npgsql's accepts them with or without spaces.
        var given = new DbConnectionStringBuilder { ConnectionString = connectionString }.Keys.Cast<string>()
            .Select(k => k.Replace(" ", "", StringComparison.Ordinal).ToLowerInvariant()).ToHashSet();
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!given.Contains("noresetonclose"))
        {
            builder.NoResetOnClose = true;
        }

        if (!given.Contains("maxautoprepare"))
        {
            builder.MaxAutoPrepare = AutoPrepared;
        }

        return builder.ConnectionString;
    }
}
