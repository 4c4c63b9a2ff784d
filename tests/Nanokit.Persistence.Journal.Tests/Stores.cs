using System.Text.Json;
using Akka.Actor;
using Akka.Configuration;
using Akka.Serialization;
using Microsoft.Data.Sqlite;

namespace Nanokit.Persistence.Journal.Tests;

/// <summary>The real databases the specs run against: a fresh SQLite file, or a fresh schema in NANOKIT_TEST_POSTGRES.</summary>
internal static class Stores
{
    private const string Serialization = """
        akka.loglevel = WARNING
        # A spec checks what the store answers, not how fast: a shared, loaded machine has stalled a first PostgreSQL
        # write past the 3 s default. A lost answer still fails, after 15 s.
        akka.test.single-expect-default = 15s
        akka.actor.serializers.refusing = "Nanokit.Persistence.Journal.Tests.RefusingSerializer, Nanokit.Persistence.Journal.Tests"
        akka.actor.serialization-bindings { "Nanokit.Persistence.Journal.Tests.Unserializable, Nanokit.Persistence.Journal.Tests" = refusing }
        akka.actor.serialization-identifiers { "Nanokit.Persistence.Journal.Tests.RefusingSerializer, Nanokit.Persistence.Journal.Tests" = 4199 }
        """;

    public static Config Sqlite(string path) => Select(
        JournalPlugins.SqliteJournal,
        JournalPlugins.SqliteSnapshotStore,
        new SqliteConnectionStringBuilder { DataSource = path }.ToString(),
        null);

    public static Config PostgreSql(string schema) => Select(
        JournalPlugins.PostgreSqlJournal,
        JournalPlugins.PostgreSqlSnapshotStore,
        PostgresUrl(),
        schema);

    /// <summary>Drops the fresh schema a PostgreSQL spec ran in (after its actor system, and so the plugin, has stopped).</summary>
    public static void DropSchemaOf(Config config)
    {
        if (config.GetString("akka.persistence.journal.plugin") != JournalPlugins.PostgreSqlJournal)
        {
            return;
        }

        Npgsql.NpgsqlConnection.ClearAllPools();
        using var connection = new Npgsql.NpgsqlConnection(PostgresUrl());
        connection.Open();
        using var command = new Npgsql.NpgsqlCommand($"DROP SCHEMA IF EXISTS {config.GetString($"{JournalPlugins.PostgreSqlJournal}.schema")} CASCADE", connection);
        command.ExecuteNonQuery();
    }

    /// <summary>A spec that needs PostgreSQL and cannot find it fails: it is never skipped.</summary>
    public static string PostgresUrl() => Environment.GetEnvironmentVariable("NANOKIT_TEST_POSTGRES") is { Length: > 0 } url
        ? url
        : throw new InvalidOperationException("NANOKIT_TEST_POSTGRES is not set: run `export NANOKIT_TEST_POSTGRES=\"$(scripts/postgres.sh url)\"`");

    private static Config Select(string journal, string snapshots, string connectionString, string? schema)
    {
        var c = JsonSerializer.Serialize(connectionString);
        var s = schema is null ? string.Empty : $", schema = {schema}";
        return ConfigurationFactory.ParseString($$"""
            akka.persistence.journal.plugin = "{{journal}}"
            akka.persistence.snapshot-store.plugin = "{{snapshots}}"
            {{journal}} { connection-string = {{c}}{{s}} }
            {{snapshots}} { connection-string = {{c}}{{s}} }
            {{Serialization}}
            """).WithFallback(JournalPlugins.DefaultConfiguration);
    }
}

/// <summary>A payload no serializer accepts: its write must be rejected, not failed.</summary>
public sealed record Unserializable(string Reason);

/// <summary>Refuses every payload bound to it.</summary>
public sealed class RefusingSerializer(ExtendedActorSystem system) : Serializer(system)
{
    public override bool IncludeManifest => false;

    public override byte[] ToBinary(object obj) => throw new InvalidOperationException($"refused: {obj}");

    public override object FromBinary(byte[] bytes, Type type) => throw new InvalidOperationException("refused");
}
