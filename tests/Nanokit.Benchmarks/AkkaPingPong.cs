using Akka.Actor;
using BenchmarkDotNet.Attributes;
using Nanokit.Reconciler.Hosting;

namespace Nanokit.Benchmarks;

/// <summary>
/// In-process messaging of Akka.NET as Nanokit configures it (the node's hocon/akka.conf through
/// <see cref="NodeConfig"/>, in-memory store; so Nanokit's dispatcher settings, which are Akka's defaults): 8 ping/pong
/// pairs of <see cref="ReceiveActor"/>s, each keeping 100 messages in flight. One operation is one message (a ping or a
/// pong), so msg/s = 10^9 / (ns/op) — the same shape as the deleted home-made runtime's ActorBenchmarks.PingPong, so the
/// two compare. Run: <c>dotnet run -c Release --project tests/Nanokit.Benchmarks -- --filter '*AkkaPingPong*' --launchCount 1 --warmupCount 3 --iterationCount 10</c>.
/// </summary>
[MemoryDiagnoser]
public class AkkaPingPong
{
    private const int Pairs = 8;
    private const int MessagesPerPair = 200_000;
    private const int InFlight = 100;

    private ActorSystem system = null!;
    private IActorRef[] pings = [];
    private CountdownEvent done = null!;

    [GlobalSetup]
    public void Setup()
    {
        system = ActorSystem.Create("ping-pong", NodeConfig.For(StateStore.InMemory.Instance));
        done = new CountdownEvent(Pairs);
        pings = new IActorRef[Pairs];
        for (var i = 0; i < Pairs; i++)
        {
            var pong = system.ActorOf(Props.Create<Pong>());
            pings[i] = system.ActorOf(Ping.Props(pong, MessagesPerPair / 2, done));
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        system.Terminate().GetAwaiter().GetResult();
        done.Dispose();
    }

    [Benchmark(OperationsPerInvoke = Pairs * MessagesPerPair)]
    public void PingPong()
    {
        done.Reset(Pairs);
        foreach (var ping in pings)
        {
            ping.Tell(Start.Instance, ActorRefs.NoSender);
        }

        done.Wait();
    }

    public sealed record Ball
    {
        public static Ball Instance { get; } = new();
    }

    private sealed record Start
    {
        public static Start Instance { get; } = new();
    }

    private sealed class Pong : ReceiveActor
    {
        public Pong() => Receive<Ball>(ball => Sender.Tell(ball, Self));
    }

    /// <summary>Sends <see cref="InFlight"/> balls, then one more per reply until it has sent its round trips; signals when all came back.</summary>
    private sealed class Ping : ReceiveActor
    {
        private readonly IActorRef pong;
        private readonly int roundTrips;
        private readonly CountdownEvent done;
        private int sent;
        private int received;

        public Ping(IActorRef pong, int roundTrips, CountdownEvent done)
        {
            this.pong = pong;
            this.roundTrips = roundTrips;
            this.done = done;
            Receive<Ball>(OnReply);
            Receive<Start>(_ => OnStart());
        }

        public static Props Props(IActorRef pong, int roundTrips, CountdownEvent done) => Akka.Actor.Props.Create(() => new Ping(pong, roundTrips, done));

        private void OnStart()
        {
            (sent, received) = (0, 0);
            for (var i = 0; i < InFlight; i++)
            {
                sent++;
                pong.Tell(Ball.Instance, Self);
            }
        }

        private void OnReply(Ball ball)
        {
            if (sent < roundTrips)
            {
                sent++;
                pong.Tell(ball, Self);
            }

            if (++received == roundTrips)
            {
                done.Signal();
            }
        }
    }
}
