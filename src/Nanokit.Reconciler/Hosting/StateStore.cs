namespace Nanokit.Reconciler.Hosting;

/// <summary>Where a node's journal and snapshots live (Akka.Persistence.Sql, or Akka's in-memory plugins).</summary>
public abstract record StateStore
{
    private StateStore()
    {
    }

    /// <summary>What the store is, for messages: the file, or the engine.</summary>
    public abstract string Describe();

    /// <summary>The embedded default: a SQLite file (<c>.nanokit/state.db</c>).</summary>
    public sealed record Sqlite(string Path) : StateStore
    {
        public override string Describe() => Path;
    }

    /// <summary>A PostgreSQL database (the cluster, or a shared backend for the CLI).</summary>
    public sealed record PostgreSql(string ConnectionString) : StateStore
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
