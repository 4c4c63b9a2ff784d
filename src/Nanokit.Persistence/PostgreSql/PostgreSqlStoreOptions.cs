using System.Text.RegularExpressions;

namespace Nanokit.Persistence.PostgreSql;

/// <summary>
/// How the PostgreSQL engines store data. The connection itself is an
/// <c>NpgsqlDataSource</c> owned by the caller. Defaults mirror <c>hocon/persistence.conf</c>
/// (<c>nanokit.persistence.postgresql</c>).
/// </summary>
public sealed partial record PostgreSqlStoreOptions
{
    /// <summary>The database schema holding the tables; created if missing.</summary>
    public string Schema { get; init; } = "nanokit";

    /// <summary>Upper bound on the events in one group commit.</summary>
    public int MaxBatchEvents { get; init; } = 5000;

    internal void Validate()
    {
        // The schema name is spliced into SQL text (identifiers cannot be parameters), so it
        // is restricted to plain lower-case identifiers.
        if (!IdentifierPattern().IsMatch(Schema))
        {
            throw new ArgumentException($"schema must match [a-z_][a-z0-9_]{{0,62}}, got '{Schema}'");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBatchEvents, 1);
    }

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex IdentifierPattern();
}
