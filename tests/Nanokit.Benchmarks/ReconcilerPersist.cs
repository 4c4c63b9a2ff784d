using System.Diagnostics;
using Akka.Actor;
using Akka.Persistence;
using Nanokit.Reconciler;

namespace Nanokit.Benchmarks;

/// <summary>
/// Persist and recovery throughput of the store as the reconciler's entities use it (DESIGN.md §6: PostgreSQL, 1 000
/// actors, ≥ 10 k events/s persisted, ≥ 50 k/s recovered). N actors each persist E events of the reconciler's own
/// <see cref="ServiceActionsSucceeded"/> (≈ 100 B) one after another, all actors at once; then N fresh actors recover
/// them, all at once. Persistence ids are new per run, so runs never read each other's events.
/// Run: <c>dotnet run -c Release --project tests/Nanokit.Benchmarks -- persist --actors 1000 --events 20 --journal postgresql</c>.
/// </summary>
internal static class ReconcilerPersist
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(10);

    public static async Task<int> RunAsync(ReconcilerMacro.Arguments args)
    {
        var actors = args.Int("actors", 1000);
        var events = args.Int("events", 20);
        var journal = args.Journal();
        var run = Guid.NewGuid().ToString("N")[..8];
        await using var node = await ReconcilerNode.StartAsync(journal, args.Directory(), args.Hocon(), CancellationToken.None).ConfigureAwait(false);

        var written = await TimeAsync(node.System, actors, i => Props.Create(() => new Writer($"bench|{run}|{i}", events))).ConfigureAwait(false);
        var recovered = await TimeAsync(node.System, actors, i => Props.Create(() => new Reader($"bench|{run}|{i}"))).ConfigureAwait(false);

        var total = (double)actors * events;
        Console.WriteLine($"persist: {actors:N0} actors x {events} events, journal {journal}");
        Console.WriteLine($"  persisted {total:N0} events in {written.TotalSeconds:F2} s = {total / written.TotalSeconds:N0} events/s");
        Console.WriteLine($"  recovered {total:N0} events in {recovered.TotalSeconds:F2} s = {total / recovered.TotalSeconds:N0} events/s");
        Console.WriteLine(
            $"RESULT mode=persist actors={actors} events={events} journal={journal.ToString().ToLowerInvariant()} " +
            $"persist_per_s={total / written.TotalSeconds:F0} recover_per_s={total / recovered.TotalSeconds:F0}");
        return 0;
    }

    /// <summary>Starts <paramref name="count"/> actors at once and waits until each has answered "done".</summary>
    private static async Task<TimeSpan> TimeAsync(ActorSystem system, int count, Func<int, Props> props)
    {
        var clock = Stopwatch.StartNew();
        var done = Enumerable.Range(0, count)
            .Select(i => system.ActorOf(props(i)).Ask<Done>(Go.Instance, Timeout))
            .ToList();
        await Task.WhenAll(done).ConfigureAwait(false);
        return clock.Elapsed;
    }

    private sealed record Go
    {
        public static readonly Go Instance = new();
    }

    private sealed record Done
    {
        public static readonly Done Instance = new();
    }

    /// <summary>Persists its events one after another (each waits for the previous one's write), then answers.</summary>
    private sealed class Writer : ReceivePersistentActor
    {
        private readonly string id;

        public Writer(string id, int events)
        {
            this.id = id;
            Command<Go>(_ => Write(Sender, 1, events));
        }

        public override string PersistenceId => id;

        private void Write(IActorRef replyTo, int n, int events) =>
            Persist(new ServiceActionsSucceeded(n, [], DateTimeOffset.UtcNow), _ =>
            {
                if (n == events)
                {
                    replyTo.Tell(Done.Instance);
                }
                else
                {
                    Write(replyTo, n + 1, events);
                }
            });
    }

    /// <summary>Recovers its events, then answers (the command waits in the stash until recovery is over).</summary>
    private sealed class Reader : ReceivePersistentActor
    {
        private readonly string id;

        public Reader(string id)
        {
            this.id = id;
            Recover<ServiceActionsSucceeded>(_ => { });
            Command<Go>(_ => Sender.Tell(Done.Instance));
        }

        public override string PersistenceId => id;
    }
}
