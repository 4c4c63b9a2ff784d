namespace Nanokit.Reconciler.Hosting;

/// <summary>Where a node's journal and snapshots live (Akka.Persistence.Sql, or Akka's in-memory plugins).</summary>
public abstract record StateStore
{
    private StateStore()
    {
    }

    /// <summary>
    /// The environment variable that puts a project's state in PostgreSQL instead of <c>.nanokit/state.db</c>: a
    /// connection string (<c>Host=…;Database=…;Username=…</c>), as a Terraform backend holds a workspace's state.
    /// </summary>
    public const string Variable = "NANOKIT_STORE";

    /// <summary>The store <see cref="Variable"/> names, or null for the project's state file; the value is never echoed (it may hold a password).</summary>
    public static StateStore? Selected(IReadOnlyDictionary<string, string> environment)
    {
        if (!environment.TryGetValue(Variable, out var value) || string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        try
        {
            _ = new Npgsql.NpgsqlConnectionStringBuilder(value);
        }
        catch (ArgumentException e)
        {
            throw new StateStoreException($"--store / {Variable} is not a PostgreSQL connection string (Host=...;Database=...;Username=...): {e.Message}");
        }

        // A schema of its own: the same database may hold a cluster's store (nkapp server --store), whose entities
        // the embedded node must never write as if they were its own.
        return new PostgreSql(value, NodeConfig.Base.GetString("nanokit.store.postgresql.embedded-schema"));
    }

    /// <summary>What the store is, for messages: the file, or the engine.</summary>
    public abstract string Describe();

    /// <summary>The embedded default: a SQLite file (<c>.nanokit/state.db</c>).</summary>
    public sealed record Sqlite(string Path) : StateStore
    {
        public override string Describe() => Path;
    }

    /// <summary>
    /// A PostgreSQL database (the cluster, or a shared backend for the CLI); <paramref name="Schema"/> overrides the
    /// schema of Nanokit's plugins (hocon/journal.conf) when set.
    /// </summary>
    public sealed record PostgreSql(string ConnectionString, string? Schema = null) : StateStore
    {
        public override string Describe() => "the PostgreSQL state store";
    }

    /// <summary>Nothing survives the process: tests, and <c>nkapp down</c> when the state file cannot be read.</summary>
    public sealed record InMemory : StateStore
    {
        public static readonly InMemory Instance = new();

        public override string Describe() => "the in-memory state store";
    }
}
