using Microsoft.Data.Sqlite;

namespace Nanokit.Persistence.Sqlite;

/// <summary>
/// Where and how the SQLite engines store data. Defaults mirror <c>hocon/persistence.conf</c>
/// (<c>nanokit.persistence.sqlite</c>).
/// </summary>
public sealed record SqliteStoreOptions
{
    public SqliteStoreOptions(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = path;
    }

    /// <summary>The database file; created with its directory if missing.</summary>
    public string Path { get; init; }

    /// <summary>How long a connection waits for another's lock before failing.</summary>
    public TimeSpan BusyTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// <c>PRAGMA synchronous</c> for the writer: FULL survives power loss, NORMAL (in WAL
    /// mode) survives a process crash but may lose the last commits on power loss.
    /// </summary>
    public string Synchronous { get; init; } = "FULL";

    /// <summary>Upper bound on the events in one group commit.</summary>
    public int MaxBatchEvents { get; init; } = 1000;

    internal string ConnectionString => new SqliteConnectionStringBuilder
    {
        DataSource = Path,
        Mode = SqliteOpenMode.ReadWriteCreate,
        Pooling = true,
        DefaultTimeout = (int)Math.Ceiling(BusyTimeout.TotalSeconds),
    }.ToString();

    internal void Validate()
    {
        if (Synchronous is not ("FULL" or "NORMAL" or "EXTRA"))
        {
            throw new ArgumentException($"synchronous must be FULL, NORMAL or EXTRA, got '{Synchronous}'");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBatchEvents, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(BusyTimeout, TimeSpan.Zero);
    }
}
