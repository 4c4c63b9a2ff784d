using Akka.Actor;
using Akka.Configuration;
using Microsoft.Data.Sqlite;
using Nanokit.Reconciler.Hosting;

namespace Nanokit.Benchmarks;

/// <summary>Which journal the benchmark's actor system writes to.</summary>
internal enum ReconcilerJournal
{
    /// <summary>The embedded default: one SQLite file through Akka.Persistence.Sql, as <c>nkapp up</c> uses.</summary>
    Sqlite,

    /// <summary>Akka's in-memory journal: no I/O at all, to tell persistence cost apart from the actors' own.</summary>
    Memory,

    /// <summary>PostgreSQL through Akka.Persistence.Sql, at NANOKIT_TEST_POSTGRES (the cluster's store).</summary>
    PostgreSql,
}

/// <summary>
/// One actor system configured like the embedded node (EmbeddedNode, hocon/akka.conf) with either journal, in a
/// directory of its own that is deleted afterwards so every run starts from an empty store.
/// </summary>
internal sealed class ReconcilerNode : IAsyncDisposable
{
    private readonly bool sqlite;

    private ReconcilerNode(ActorSystem system, string directory, bool sqlite)
    {
        System = system;
        Root = directory;
        this.sqlite = sqlite;
    }

    public ActorSystem System { get; }

    /// <summary>Where the journal lives; also the projects' working directory (the simulated runtime never reads it).</summary>
    public string Root { get; }

    /// <param name="hocon">Configuration on top of the node's (hocon/akka.conf), to try a setting without a rebuild.</param>
    public static Task<ReconcilerNode> StartAsync(ReconcilerJournal journal, string parent, string hocon, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var directory = Path.Combine(parent, $"nanokit-bench-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        StateStore store = StateStore.InMemory.Instance;
        if (journal == ReconcilerJournal.Sqlite)
        {
            var path = Path.Combine(directory, "state.db");
            StateFile.Prepare(path);
            store = new StateStore.Sqlite(path);
        }
        else if (journal == ReconcilerJournal.PostgreSql)
        {
            store = new StateStore.PostgreSql(Environment.GetEnvironmentVariable("NANOKIT_TEST_POSTGRES")
                ?? throw new InvalidOperationException("NANOKIT_TEST_POSTGRES is not set: export NANOKIT_TEST_POSTGRES=\"$(scripts/postgres.sh url)\""));
        }

        var system = ActorSystem.Create("bench", ConfigurationFactory.ParseString(hocon).WithFallback(NodeConfig.For(store)));
        return Task.FromResult(new ReconcilerNode(system, directory, journal == ReconcilerJournal.Sqlite));
    }

    /// <summary>Size of the SQLite file and its write-ahead log, in bytes (0 for the in-memory journal).</summary>
    public long StoreBytes() => !sqlite
        ? 0
        : new DirectoryInfo(Root).EnumerateFiles("state.db*").Sum(f => f.Length);

    /// <summary>Events and payload bytes per event type in the SQLite journal: which events make the store (and its writes) big.</summary>
    public async Task<string> JournalBreakdownAsync(CancellationToken cancellationToken)
    {
        if (!sqlite)
        {
            return "";
        }

        await using var connection = await OpenStoreAsync(SqliteOpenMode.ReadOnly, cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT manifest, count(*), sum(length(message)) FROM journal WHERE deleted = 0 GROUP BY manifest ORDER BY 3 DESC;";
        var parts = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var (manifest, count, bytes) = (reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2));
            parts.Add($"{manifest} {count:N0} x {bytes / count:N0} B = {ReconcilerMemory.Megabytes(bytes)}");
        }

        return string.Join("; ", parts);
    }

    /// <summary>The first row of a query on the SQLite store, as integers.</summary>
    public async Task<long[]> QueryAsync(string sql, CancellationToken cancellationToken)
    {
        await using var connection = await OpenStoreAsync(SqliteOpenMode.ReadOnly, cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return Enumerable.Range(0, reader.FieldCount).Select(reader.GetInt64).ToArray();
    }

    /// <summary>
    /// Size of the SQLite file once the write-ahead log is folded into it and emptied: what the store takes on
    /// disk, without the log's leftover length (a log is reused, not shrunk, between checkpoints) or the shared-memory
    /// index. Call it while the store is idle: a checkpoint that cannot finish leaves the rest in the log, counted too.
    /// </summary>
    public async Task<long> CheckpointedStoreBytesAsync(CancellationToken cancellationToken)
    {
        await using (var connection = await OpenStoreAsync(SqliteOpenMode.ReadWrite, cancellationToken).ConfigureAwait(false))
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        return new[] { "state.db", "state.db-wal" }.Select(f => new FileInfo(Path.Combine(Root, f))).Where(f => f.Exists).Sum(f => f.Length);
    }

    public async ValueTask DisposeAsync()
    {
        await System.Terminate().ConfigureAwait(false);

        // Pooled SQLite connections keep the file open; clearing the pool lets the directory go.
        SqliteConnection.ClearAllPools();
        Directory.Delete(Root, recursive: true);
    }

    private async Task<SqliteConnection> OpenStoreAsync(SqliteOpenMode mode, CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(Root, "state.db"), Mode = mode }.ToString());
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        return connection;
    }
}
