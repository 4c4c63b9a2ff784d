using Nanokit.Actors;
using Nanokit.Persistence.Journal;
using Nanokit.Persistence.PostgreSql;
using Nanokit.Persistence.Snapshots;
using Nanokit.Persistence.Sqlite;
using Nanokit.Persistence.Tests.Support;
using Npgsql;

namespace Nanokit.Persistence.Tests.Faults;

/// <summary>
/// The child process of the crash tests, run as <c>dotnet Nanokit.Persistence.Tests.dll crash-probe
/// sqlite PATH</c> or <c>… crash-probe postgresql CONNECTION-STRING SCHEMA</c>. Many persistent
/// counters write as fast as they can; each acknowledgement (sent by the actor after the durable
/// write) is printed as <c>ack ID SEQUENCE-NR AMOUNT</c>, until the parent kills the process.
/// </summary>
public static class CrashProbe
{
    public const string Mode = "crash-probe";
    public const int Counters = 20;

    public static async Task<int> RunAsync(string[] args)
    {
        await using var stores = await OpenAsync(args);
        using var system = ActorSystem.Create("crash-probe");
        Persistence.Register(system, new PersistenceSettings(stores.Journal, stores.Snapshots));
        var counters = Enumerable.Range(0, Counters)
            .Select(i => system.ActorOf(Props.Create(() => new CounterActor($"probe-{i}", system.DeadLetters, null))))
            .ToArray();
        Console.WriteLine("ready");
        await Task.WhenAll(counters.Select((counter, i) => Task.Run(async () =>
        {
            for (var amount = 1; ; amount++)
            {
                var ack = await counter.Ask<AddAcked>(new Add(amount), TimeSpan.FromSeconds(30));
                Console.WriteLine($"ack probe-{i} {ack.SequenceNr} {ack.Amount}");
            }
        })));
        return 0;
    }

    private static async Task<Stores> OpenAsync(string[] args)
    {
        switch (args)
        {
            case [_, "sqlite", var path]:
                var options = new SqliteStoreOptions(path);
                return new Stores(
                    await SqliteJournal.OpenAsync(options, CounterActor.Registry, default),
                    await SqliteSnapshotStore.OpenAsync(options, CounterActor.Registry, default),
                    null);
            case [_, "postgresql", var connectionString, var schema]:
                var dataSource = NpgsqlDataSource.Create(connectionString);
                var pgOptions = new PostgreSqlStoreOptions { Schema = schema };
                return new Stores(
                    await PostgreSqlJournal.OpenAsync(dataSource, pgOptions, CounterActor.Registry, default),
                    await PostgreSqlSnapshotStore.OpenAsync(dataSource, pgOptions, CounterActor.Registry, default),
                    dataSource);
            default:
                throw new ArgumentException($"usage: {Mode} sqlite PATH | {Mode} postgresql CONNECTION-STRING SCHEMA");
        }
    }

    private sealed record Stores(IJournal Journal, ISnapshotStore Snapshots, NpgsqlDataSource? DataSource) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            if (Journal is IAsyncDisposable journal)
            {
                await journal.DisposeAsync();
            }

            if (DataSource is not null)
            {
                await DataSource.DisposeAsync();
            }
        }
    }
}
