using System.Diagnostics;
using Akka.Actor;
using Akka.Persistence;
using Nanokit.Reconciler;

namespace Nanokit.Benchmarks;

/// <summary>
/// Persist and recovery throughput of the store as the reconciler's entities use it (DESIGN.md §6: PostgreSQL, 1 000
/// actors, ≥ 10 k events/s persisted, ≥ 50 k/s recovered). N actors each persist E events of the reconciler's own
/// <see cref="ServiceActionsSucceeded"/> (≈ 100 B) one after another, all actors at once; then N fresh actors recover
/// them, all at once; each phase prints its wall time and this process's CPU time. Persistence ids are new per run,
/// so runs never read each other's events. With Nanokit's plugins it also prints how full the group commits were and how many actors' reads each query served (<see cref="JournalCounters"/>).
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
        await WarmUpAsync(node.System, run).ConfigureAwait(false);
        using var counters = new JournalCounters();

        // The writers are new entities: each first recovers (finds nothing), as a new entity does in the reconciler.
        // That start is timed apart, so "persisted" is the writes alone and "started" shows the cost of recovery queries.
        var clock = Stopwatch.StartNew();
        var cpu = new CpuClock();
        var writers = Enumerable.Range(0, actors).Select(i => node.System.ActorOf(Writer.Props($"bench|{run}|{i}", events))).ToList();
        await AskAllAsync(writers, Ready.Instance).ConfigureAwait(false);
        var started = clock.Elapsed;
        var startCpu = cpu.Lap();
        var startCounters = counters.Take();
        clock.Restart();
        await AskAllAsync(writers, Go.Instance).ConfigureAwait(false);
        var written = clock.Elapsed;
        var writeCpu = cpu.Lap();
        var writeCounters = counters.Take();
        clock.Restart();
        var readers = Enumerable.Range(0, actors).Select(i => node.System.ActorOf(Reader.Props($"bench|{run}|{i}"))).ToList();
        var replayed = await AskAllAsync(readers, Go.Instance).ConfigureAwait(false);
        var recovered = clock.Elapsed;
        var recoverCpu = cpu.Lap();
        var recoverCounters = counters.Take();
        if (replayed != (long)actors * events)
        {
            throw new InvalidOperationException($"persist: the readers recovered {replayed} events, not the {actors * events} written");
        }

        var total = (double)actors * events;
        Console.WriteLine($"persist: {actors:N0} actors x {events} events, journal {journal}");
        Console.WriteLine($"  started {actors:N0} new actors in {started.TotalSeconds:F2} s = {actors / started.TotalSeconds:N0} actors/s, CPU {startCpu.TotalSeconds:F2} s");
        Print(startCounters);
        Console.WriteLine($"  persisted {total:N0} events in {written.TotalSeconds:F2} s = {total / written.TotalSeconds:N0} events/s, CPU {writeCpu.TotalSeconds:F2} s");
        Print(writeCounters);
        Console.WriteLine($"  recovered {total:N0} events in {recovered.TotalSeconds:F2} s = {total / recovered.TotalSeconds:N0} events/s, CPU {recoverCpu.TotalSeconds:F2} s");
        Print(recoverCounters);
        Console.WriteLine(
            $"RESULT mode=persist actors={actors} events={events} journal={journal.ToString().ToLowerInvariant()} " +
            $"start_per_s={actors / started.TotalSeconds:F0} persist_per_s={total / written.TotalSeconds:F0} recover_per_s={total / recovered.TotalSeconds:F0} " +
            $"cpu_ms_start={startCpu.TotalMilliseconds:F0} cpu_ms_persist={writeCpu.TotalMilliseconds:F0} cpu_ms_recover={recoverCpu.TotalMilliseconds:F0}");
        return 0;
    }

    /// <summary>A few actors write and recover first, so the timed phases measure the store rather than the JIT and the tables' creation.</summary>
    private static async Task WarmUpAsync(ActorSystem system, string run)
    {
        var writers = Enumerable.Range(0, 20).Select(i => system.ActorOf(Writer.Props($"warm|{run}|{i}", 5))).ToList();
        await AskAllAsync(writers, Go.Instance).ConfigureAwait(false);
        var readers = Enumerable.Range(0, 20).Select(i => system.ActorOf(Reader.Props($"warm|{run}|{i}"))).ToList();
        await AskAllAsync(readers, Go.Instance).ConfigureAwait(false);
    }

    /// <summary>
    /// This process's CPU time per phase (all threads; the database's own CPU is not in it). On a machine shared with
    /// other builds the wall time mostly says how much CPU was left; the CPU time says what the phase itself costs.
    /// </summary>
    private sealed class CpuClock
    {
        private TimeSpan last = Process.GetCurrentProcess().TotalProcessorTime;

        public TimeSpan Lap()
        {
            var now = Process.GetCurrentProcess().TotalProcessorTime;
            (var lap, last) = (now - last, now);
            return lap;
        }
    }

    private static void Print(string counters)
    {
        if (counters.Length > 0)
        {
            Console.WriteLine(counters);
        }
    }

    /// <summary>Asks every actor at once and waits until each has answered; the sum of the events they report.</summary>
    private static async Task<long> AskAllAsync(IReadOnlyList<IActorRef> actors, object question)
    {
        var answers = await Task.WhenAll(actors.Select(a => a.Ask<Done>(question, Timeout))).ConfigureAwait(false);
        return answers.Sum(d => (long)d.Events);
    }

    /// <summary>Answered once the actor has recovered.</summary>
    private sealed record Ready
    {
        public static readonly Ready Instance = new();
    }

    private sealed record Go
    {
        public static readonly Go Instance = new();
    }

    /// <summary>The answer; a reader reports how many events it recovered.</summary>
    private sealed record Done(int Events)
    {
        public static readonly Done Instance = new(0);
    }

    /// <summary>Persists its events one after another (each waits for the previous one's write), then answers.</summary>
    private sealed class Writer : ReceivePersistentActor
    {
        private readonly string id;

        public Writer(string id, int events)
        {
            this.id = id;
            Command<Ready>(_ => Sender.Tell(Done.Instance));
            Command<Go>(_ => Write(Sender, 1, events));
        }

        public override string PersistenceId => id;

        /// <summary>
        /// Props whose arguments are plain values: Akka compiles (and later finalizes) a delegate for every argument of
        /// <c>Props.Create(() => …)</c> that is a computed expression (an interpolated id), which cost about as much CPU as
        /// the actor's whole recovery (measured with dotnet-trace); the reconciler's own Props pass captured values only.
        /// </summary>
        public static Props Props(string id, int events) => Akka.Actor.Props.Create(() => new Writer(id, events));

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
            var recovered = 0;
            Recover<ServiceActionsSucceeded>(_ => recovered++);
            Command<Go>(_ => Sender.Tell(new Done(recovered)));
        }

        public override string PersistenceId => id;

        /// <summary>As <see cref="Writer.Props"/>: the id is computed before the expression, not inside it.</summary>
        public static Props Props(string id) => Akka.Actor.Props.Create(() => new Reader(id));
    }
}
