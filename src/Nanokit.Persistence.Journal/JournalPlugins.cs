using Akka.Configuration;

namespace Nanokit.Persistence.Journal;

/// <summary>hocon/journal.conf: the plugins' ids and their documented defaults, as a fallback configuration.</summary>
public static class JournalPlugins
{
    public const string SqliteJournal = "nanokit.persistence.journal.sqlite";
    public const string SqliteSnapshotStore = "nanokit.persistence.snapshot-store.sqlite";
    public const string PostgreSqlJournal = "nanokit.persistence.journal.postgresql";
    public const string PostgreSqlSnapshotStore = "nanokit.persistence.snapshot-store.postgresql";

    private const string Resource = "Nanokit.Persistence.Journal.journal.conf";

    public static Config DefaultConfiguration { get; } = Load();

    private static Config Load()
    {
        using var stream = typeof(JournalPlugins).Assembly.GetManifestResourceStream(Resource)
            ?? throw new InvalidOperationException($"resource {Resource} is missing");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }
}
