using BenchmarkDotNet.Attributes;
using Nanokit.Actors;

namespace Nanokit.Benchmarks;

/// <summary>
/// In-process messaging (DESIGN.md §6: ≥ 20 M msg/s on 2 cores; Akka.NET ≈ 30–43 M/s on 4–8 cores).
/// <see cref="PingPong"/>: 8 ping/pong pairs of ReceiveActors, each keeping 100 messages in flight; one
/// operation is one message, so msg/s = 10^9 / (ns/op). <see cref="AskRoundTrip"/>: one Ask (5 s timeout) and its reply.
/// Run: <c>dotnet run -c Release --project tests/Nanokit.Benchmarks -- --filter '*ActorBenchmarks*' --job short</c>.
/// </summary>
[MemoryDiagnoser]
public class ActorBenchmarks
{
    private const int Pairs = 8;
    private const int MessagesPerPair = 200_000;
    private const int InFlight = 100;

    private ActorSystem _system = null!;
    private IActorRef[] _pings = [];
    private IActorRef _echo = null!;
    private CountdownEvent _done = null!;

    [GlobalSetup]
    public void Setup()
    {
        _system = ActorSystem.Create("bench");
        _done = new CountdownEvent(Pairs);
        _pings = new IActorRef[Pairs];
        for (var i = 0; i < Pairs; i++)
        {
            var pong = _system.ActorOf(Props.Create<Pong>());
            _pings[i] = _system.ActorOf(Props.Create(() => new Ping(pong, MessagesPerPair / 2, _done)));
        }

        _echo = _system.ActorOf(Props.Create<Pong>());
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _system.Terminate().GetAwaiter().GetResult();
        _done.Dispose();
    }

    [Benchmark(OperationsPerInvoke = Pairs * MessagesPerPair)]
    public void PingPong()
    {
        _done.Reset(Pairs);
        foreach (var ping in _pings)
        {
            ping.Tell(Start.Instance, null);
        }

        _done.Wait();
    }

    [Benchmark]
    public Task<Msg> AskRoundTrip() => _echo.Ask<Msg>(Msg.Instance, TimeSpan.FromSeconds(5));

    public sealed record Msg
    {
        public static Msg Instance { get; } = new();
    }

    private sealed record Start
    {
        public static Start Instance { get; } = new();
    }

    private sealed class Pong : ReceiveActor
    {
        public Pong() => Receive<Msg>(m => Sender.Tell(m, Self));
    }

    private sealed class Ping : ReceiveActor
    {
        private readonly IActorRef _pong;
        private readonly int _roundTrips;
        private readonly CountdownEvent _done;
        private int _sent;
        private int _received;

        public Ping(IActorRef pong, int roundTrips, CountdownEvent done)
        {
            _pong = pong;
            _roundTrips = roundTrips;
            _done = done;
            Receive<Msg>(OnReply);
            Receive<Start>(_ => OnStart());
        }

        private void OnStart()
        {
            _sent = 0;
            _received = 0;
            for (var i = 0; i < InFlight; i++)
            {
                _sent++;
                _pong.Tell(Msg.Instance, Self);
            }
        }

        private void OnReply(Msg message)
        {
            if (_sent < _roundTrips)
            {
                _sent++;
                _pong.Tell(message, Self);
            }

            if (++_received == _roundTrips)
            {
                _done.Signal();
            }
        }
    }
}
