using BenchmarkDotNet.Attributes;
using Microsoft.Data.Sqlite;
using Nanokit.Actors;
using Nanokit.Persistence;
using Nanokit.Persistence.Journal;
using Nanokit.Persistence.PostgreSql;
using Nanokit.Persistence.Serialization;
using Nanokit.Persistence.Snapshots;
using Nanokit.Persistence.Sqlite;
using Npgsql;

namespace Nanokit.Benchmarks;

/// <summary>
/// Persistence (DESIGN.md §6: batched persist ≥ 20 k events/s on PostgreSQL, recovery ≥ 150 k events/s;
/// Akka.Persistence.Sql 4.4–14 k/s and 79–115 k/s).
/// <see cref="Persist"/>: <see cref="Writers"/> persistent actors persist 10,000 events in all, each actor
/// one after another (each handler runs after its durable write, then the next Persist); the journal's
/// group commit batches the concurrent writes, so a commit holds at most one event per writer.
/// <see cref="Recover"/>: 100 actors recover 1,000 events each from the journal (Writers does not apply).
/// One operation is one event, so events/s = 10^9 / (ns/op). Durable settings: SQLite synchronous=FULL,
/// PostgreSQL fsync and synchronous_commit on.
/// Run (PostgreSQL from <c>scripts/postgres.sh start</c>, or <c>NANOKIT_BENCH_POSTGRES</c>):
/// <c>dotnet run -c Release --project tests/Nanokit.Benchmarks -- --filter '*PersistenceBenchmarks*' --job short</c>.
/// </summary>
public class PersistenceBenchmarks
{
    private const int PersistedEvents = 10_000;
    private const int RecoveringActors = 100;
    private const int RecoveredEventsPerActor = 1_000;
    private const string DefaultPostgres = "Host=127.0.0.1;Port=55432;Username=postgres;Database=postgres;Pooling=true;Timeout=5";

    private static readonly EventRegistry Registry = EventRegistry.Empty.Register<BenchEvent>("bench.event");

    private ActorSystem _system = null!;
    private IJournal _journal = null!;
    private NpgsqlDataSource? _dataSource;
    private string? _sqliteDirectory;
    private string _schema = "";
    private IActorRef[] _actors = [];
    private int _iteration;

    [Params("sqlite", "postgresql")]
    public string Engine { get; set; } = "sqlite";

    [Params(100, 1_000)]
    public int Writers { get; set; } = 100;

    [GlobalSetup]
    public async Task Setup()
    {
        ISnapshotStore snapshots;
        if (Engine == "sqlite")
        {
            _sqliteDirectory = Directory.CreateTempSubdirectory("nanokit-bench-").FullName;
            var options = new SqliteStoreOptions(Path.Combine(_sqliteDirectory, "bench.db"));
            _journal = await SqliteJournal.OpenAsync(options, Registry, default);
            snapshots = await SqliteSnapshotStore.OpenAsync(options, Registry, default);
        }
        else
        {
            var connectionString = Environment.GetEnvironmentVariable("NANOKIT_BENCH_POSTGRES") is { Length: > 0 } fromEnv ? fromEnv : DefaultPostgres;
            _dataSource = NpgsqlDataSource.Create(connectionString);
            _schema = $"bench_{Guid.NewGuid():N}"[..30];
            var options = new PostgreSqlStoreOptions { Schema = _schema };
            try
            {
                _journal = await PostgreSqlJournal.OpenAsync(_dataSource, options, Registry, default);
            }
            catch (NpgsqlException e)
            {
                throw new InvalidOperationException($"PostgreSQL is not reachable at '{connectionString}': run scripts/postgres.sh start", e);
            }

            snapshots = await PostgreSqlSnapshotStore.OpenAsync(_dataSource, options, Registry, default);
        }

        _system = ActorSystem.Create("persistence-bench");
        Persistence.Persistence.Register(_system, new PersistenceSettings(_journal, snapshots));
        await SeedRecoveryJournalAsync();
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _system.Terminate();
        await ((IAsyncDisposable)_journal).DisposeAsync();
        if (_dataSource is not null)
        {
            await using (var drop = _dataSource.CreateCommand($"DROP SCHEMA {_schema} CASCADE"))
            {
                await drop.ExecuteNonQueryAsync();
            }

            await _dataSource.DisposeAsync();
        }

        if (_sqliteDirectory is not null)
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(_sqliteDirectory, recursive: true);
        }
    }

    [IterationSetup(Target = nameof(Persist))]
    public void SpawnWriters() => _actors = SpawnAndAwaitRecovery($"write-{++_iteration}-", Writers);

    [Benchmark(OperationsPerInvoke = PersistedEvents)]
    public Task Persist() => Task.WhenAll(_actors.Select(a => a.Ask<Done>(new Run(PersistedEvents / Writers), TimeSpan.FromMinutes(1))));

    [Benchmark(OperationsPerInvoke = RecoveringActors * RecoveredEventsPerActor)]
    public void Recover() => _actors = SpawnAndAwaitRecovery("recover-", RecoveringActors);

    [IterationCleanup]
    public void StopActors()
    {
        foreach (var actor in _actors)
        {
            _system.Stop(actor);
        }
    }

    private IActorRef[] SpawnAndAwaitRecovery(string idPrefix, int count)
    {
        var actors = Enumerable.Range(0, count)
            .Select(i => _system.ActorOf(Props.Create(() => new BenchActor($"{idPrefix}{i}"))))
            .ToArray();

        // A command is stashed until recovery completes, so its reply marks the end of recovery.
        Task.WhenAll(actors.Select(a => a.Ask<Done>(new Run(0), TimeSpan.FromMinutes(1)))).GetAwaiter().GetResult();
        return actors;
    }

    private async Task SeedRecoveryJournalAsync()
    {
        await Task.WhenAll(Enumerable.Range(0, RecoveringActors).Select(async i =>
        {
            for (var from = 1; from <= RecoveredEventsPerActor; from += 100)
            {
                await _journal.AppendAsync([.. Enumerable.Range(from, 100).Select(n => PersistentEvent.Create($"recover-{i}", n, new BenchEvent(n)))], default);
            }
        }));
    }

    private sealed record BenchEvent(long Value);

    private sealed record Run(int Events);

    private sealed record Done(long LastSequenceNr);

    private sealed class BenchActor : PersistentActor
    {
        private readonly string _id;
        private long _sum;
        private int _remaining;
        private IActorRef? _replyTo;

        public BenchActor(string id)
        {
            _id = id;
            Recover<BenchEvent>(e => _sum += e.Value);
            Command<Run>(run =>
            {
                (_remaining, _replyTo) = (run.Events, Sender);
                PersistNextOrReply();
            });
        }

        public override string PersistenceId => _id;

        private void PersistNextOrReply()
        {
            if (_remaining-- == 0)
            {
                _replyTo!.Tell(new Done(LastSequenceNr), Self);
                return;
            }

            Persist(new BenchEvent(_remaining), e =>
            {
                _sum += e.Value;
                PersistNextOrReply();
            });
        }
    }
}
