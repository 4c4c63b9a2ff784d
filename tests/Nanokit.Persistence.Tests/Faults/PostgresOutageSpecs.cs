using System.Collections.Concurrent;
using Nanokit.Actors;
using Nanokit.Actors.Supervision;
using Nanokit.Actors.TestKit;
using Nanokit.Persistence.PostgreSql;
using Nanokit.Persistence.Tests.Support;
using Npgsql;
using System.Diagnostics;
using Xunit;
using Xunit.Abstractions;

namespace Nanokit.Persistence.Tests.Faults;

/// <summary>
/// PostgreSQL goes away while persistent actors write and comes back: the actors fail,
/// are stopped, backed off and recreated until it returns, then carry on, and the journal
/// holds every acknowledged event with no gap in any entity's sequence numbers.
/// </summary>
public sealed class PostgresOutageSpecs(ITestOutputHelper output) : TestKit
{
    private const int Counters = 8;

    [Fact]
    public async Task Persistent_actors_back_off_while_PostgreSQL_is_down_and_resume_with_every_acknowledged_event()
    {
        var clock = Stopwatch.StartNew();
        await using var postgres = await PrivatePostgres.StartAsync();
        output.WriteLine($"{clock.Elapsed}: private PostgreSQL started");
        await using var dataSource = NpgsqlDataSource.Create(postgres.ConnectionString);
        var options = new PostgreSqlStoreOptions { Schema = "outage" };
        await using var journal = await PostgreSqlJournal.OpenAsync(dataSource, options, CounterActor.Registry, default);
        var snapshots = await PostgreSqlSnapshotStore.OpenAsync(dataSource, options, CounterActor.Registry, default);
        Persistence.Register(Sys, new PersistenceSettings(journal, snapshots) { JournalCallTimeout = TimeSpan.FromSeconds(2) });

        var supervisors = Enumerable.Range(0, Counters).Select(i => Sys.ActorOf(BackoffSupervisor.Props(BackoffOptions.OnStop(
            Props.Create(() => new CounterActor($"counter-{i}", Sys.DeadLetters, null)),
            "counter",
            TimeSpan.FromMilliseconds(50),
            TimeSpan.FromMilliseconds(500),
            0.2)))).ToArray();
        var acked = new ConcurrentDictionary<(string Id, long SequenceNr), int>();
        var failures = 0;
        using var stop = new CancellationTokenSource();
        var drivers = supervisors.Select((supervisor, i) => Task.Run(async () =>
        {
            for (var amount = 1; !stop.IsCancellationRequested; amount++)
            {
                try
                {
                    var ack = await supervisor.Ask<AddAcked>(new Add(amount), TimeSpan.FromSeconds(1));
                    acked[($"counter-{i}", ack.SequenceNr)] = ack.Amount;
                }
                catch (Exception e) when (e is TimeoutException or TaskCanceledException)
                {
                    Interlocked.Increment(ref failures);
                }
            }
        })).ToArray();

        AwaitCondition(() => acked.Count >= Counters * 20, TimeSpan.FromSeconds(30), message: "acknowledgements before the outage");
        await postgres.StopAsync();
        output.WriteLine($"{clock.Elapsed}: PostgreSQL stopped after {acked.Count} acks");
        AwaitCondition(() => Volatile.Read(ref failures) >= Counters, TimeSpan.FromSeconds(30), message: "commands failing during the outage");
        AwaitCondition(() => supervisors.Any(s => RestartCount(s) > 0), TimeSpan.FromSeconds(30), message: "a counter stopped and recreated by its backoff supervisor");
        var ackedBeforeReturn = acked.Count;
        output.WriteLine($"{clock.Elapsed}: counters failed and restarted; {failures} failed commands");

        await postgres.StartAgainAsync();
        output.WriteLine($"{clock.Elapsed}: PostgreSQL started again");
        AwaitCondition(() => acked.Count >= ackedBeforeReturn + (Counters * 20), TimeSpan.FromSeconds(30), message: "acknowledgements after PostgreSQL returned");
        await stop.CancelAsync();
        await Task.WhenAll(drivers);
        output.WriteLine($"{clock.Elapsed}: resumed: {acked.Count} acks in all");

        for (var i = 0; i < Counters; i++)
        {
            var id = $"counter-{i}";
            var events = await journal.ReadAsync(id, 1, long.MaxValue, long.MaxValue, default).ToListAsync();
            Assert.Equal(Enumerable.Range(1, events.Count).Select(n => (long)n), events.Select(e => e.SequenceNr));
            foreach (var ((ackedId, seq), amount) in acked.Where(a => a.Key.Id == id))
            {
                Assert.Equal(new Added(amount), events[(int)seq - 1].Payload);
            }
        }
    }

    private int RestartCount(IActorRef supervisor) =>
        supervisor.Ask<BackoffSupervisor.RestartCount>(BackoffSupervisor.GetRestartCount.Instance, TimeSpan.FromSeconds(1)).GetAwaiter().GetResult().Count;
}
