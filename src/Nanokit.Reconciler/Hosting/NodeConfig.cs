using System.Text.Json;
using Akka.Configuration;
using Akka.Persistence.Sql;
using Microsoft.Data.Sqlite;
using Nanokit.Persistence.Journal;

namespace Nanokit.Reconciler.Hosting;

/// <summary>
/// The actor system's configuration: hocon/akka.conf over hocon/reconciler.conf (both embedded in this assembly: one
/// source of truth; <see cref="ReconcilerSettings"/> reads the latter's <c>nanokit.reconciler</c>), the chosen
/// store's engine, provider and connection string on top, the engines' reference configurations
/// (Akka.Persistence.Sql's, Nanokit's group-commit plugins' hocon/journal.conf) beneath.
/// </summary>
public static class NodeConfig
{
    /// <summary>hocon/akka.conf over hocon/reconciler.conf, as shipped.</summary>
    public static Config Base { get; } = Load("akka.conf").WithFallback(Load("reconciler.conf"));

    /// <summary>Overrides nanokit.store.*.engine for one run (benchmarks compare the engines with it).</summary>
    public const string EngineVariable = "NANOKIT_STORE_ENGINE";

    public static Config For(StateStore store) =>
        ConfigurationFactory.ParseString(StoreHocon(store))
            .WithFallback(Base)
            .WithFallback(JournalPlugins.DefaultConfiguration)
            .WithFallback(SqlPersistence.DefaultConfiguration);

    /// <summary>The engine a store of this kind uses: <see cref="StoreEngine.AkkaSql"/> or <see cref="StoreEngine.GroupCommit"/>.</summary>
    public static StoreEngine EngineFor(StateStore store)
    {
        var kind = store is StateStore.PostgreSql ? "postgresql" : "sqlite";
        var name = Environment.GetEnvironmentVariable(EngineVariable) is { Length: > 0 } chosen
            ? chosen
            : Base.GetString($"nanokit.store.{kind}.engine");
        return name switch
        {
            "akka-sql" => StoreEngine.AkkaSql,
            "nanokit" => StoreEngine.GroupCommit,
            _ => throw new StateStoreException($"unknown state store engine '{name}' (nanokit.store.{kind}.engine or {EngineVariable}): use akka-sql or nanokit"),
        };
    }

    private static Config Load(string file)
    {
        var resource = "Nanokit.Reconciler." + file;
        using var stream = typeof(NodeConfig).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"resource {resource} is missing from {typeof(NodeConfig).Assembly.GetName().Name}");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }

    private static string StoreHocon(StateStore store)
    {
        var settings = Base.GetConfig("nanokit.store");
        return store switch
        {
            StateStore.Sqlite sqlite => Sql(
                settings.GetString("sqlite.provider-name"),
                new SqliteConnectionStringBuilder { DataSource = sqlite.Path, Pooling = true }.ToString(),
                settings.GetInt("sqlite.journal-parallelism"),
                EngineFor(store),
                JournalPlugins.SqliteJournal,
                JournalPlugins.SqliteSnapshotStore),
            StateStore.PostgreSql postgres => Sql(
                settings.GetString("postgresql.provider-name"),
                postgres.ConnectionString,
                settings.GetInt("postgresql.journal-parallelism"),
                EngineFor(store),
                JournalPlugins.PostgreSqlJournal,
                JournalPlugins.PostgreSqlSnapshotStore)
                + (postgres.Schema is { } schema
                    ? $"\n{JournalPlugins.PostgreSqlJournal}.schema = {schema}\n{JournalPlugins.PostgreSqlSnapshotStore}.schema = {schema}\n"
                    : string.Empty),
            StateStore.InMemory => """
                akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
                akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
                """,
            _ => throw new ArgumentOutOfRangeException(nameof(store), store, "unknown state store"),
        };
    }

    /// <summary>Values are written as JSON strings, which HOCON reads verbatim (a connection string may hold any character).</summary>
    private static string Sql(string provider, string connectionString, int parallelism, StoreEngine engine, string journal, string snapshots)
    {
        var (p, c) = (JsonSerializer.Serialize(provider), JsonSerializer.Serialize(connectionString));
        var selected = engine == StoreEngine.GroupCommit
            ? $"akka.persistence.journal.plugin = \"{journal}\"\nakka.persistence.snapshot-store.plugin = \"{snapshots}\""
            : string.Empty;
        return $"""
            akka.persistence.journal.sql {"{"} provider-name = {p}, connection-string = {c}, parallelism = {parallelism} {"}"}
            akka.persistence.snapshot-store.sql {"{"} provider-name = {p}, connection-string = {c} {"}"}
            {journal}.connection-string = {c}
            {snapshots}.connection-string = {c}
            {selected}
            """;
    }
}

/// <summary>Which Akka.Persistence plugins a store is written with; a file of one is not read by the other.</summary>
public enum StoreEngine
{
    /// <summary>Akka.Persistence.Sql (linq2db).</summary>
    AkkaSql,

    /// <summary>Nanokit's group-commit plugins (src/Nanokit.Persistence.Journal).</summary>
    GroupCommit,
}
