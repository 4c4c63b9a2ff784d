using System.Text.Json;
using Akka.Configuration;
using Akka.Persistence.Sql;
using Microsoft.Data.Sqlite;

namespace Nanokit.Reconciler.Hosting;

/// <summary>
/// The actor system's configuration: hocon/akka.conf (embedded in this assembly: one source of truth), the chosen
/// store's provider and connection string on top, Akka.Persistence.Sql's reference configuration beneath.
/// </summary>
public static class NodeConfig
{
    private const string Resource = "Nanokit.Reconciler.akka.conf";

    /// <summary>hocon/akka.conf as shipped.</summary>
    public static Config Base { get; } = Load();

    public static Config For(StateStore store) =>
        ConfigurationFactory.ParseString(StoreHocon(store)).WithFallback(Base).WithFallback(SqlPersistence.DefaultConfiguration);

    private static Config Load()
    {
        using var stream = typeof(NodeConfig).Assembly.GetManifestResourceStream(Resource)
            ?? throw new InvalidOperationException($"resource {Resource} is missing from {typeof(NodeConfig).Assembly.GetName().Name}");
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
                settings.GetInt("sqlite.journal-parallelism")),
            StateStore.PostgreSql postgres => Sql(
                settings.GetString("postgresql.provider-name"),
                postgres.ConnectionString,
                settings.GetInt("postgresql.journal-parallelism")),
            StateStore.InMemory => """
                akka.persistence.journal.plugin = "akka.persistence.journal.inmem"
                akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.inmem"
                """,
            _ => throw new ArgumentOutOfRangeException(nameof(store), store, "unknown state store"),
        };
    }

    /// <summary>Values are written as JSON strings, which HOCON reads verbatim (a connection string may hold any character).</summary>
    private static string Sql(string provider, string connectionString, int parallelism)
    {
        var (p, c) = (JsonSerializer.Serialize(provider), JsonSerializer.Serialize(connectionString));
        return $"""
            akka.persistence.journal.sql {"{"} provider-name = {p}, connection-string = {c}, parallelism = {parallelism} {"}"}
            akka.persistence.snapshot-store.sql {"{"} provider-name = {p}, connection-string = {c} {"}"}
            """;
    }
}
