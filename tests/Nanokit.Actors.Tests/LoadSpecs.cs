namespace Nanokit.Actors.Tests;

using Nanokit.Actors.TestKit;

public sealed class LoadSpecs : TestKit
{
    [Fact]
    public async Task Many_actors_under_concurrent_senders_lose_and_duplicate_no_message()
    {
        const int actors = 200;
        const int senders = 8;
        const int perSender = 500;
        var sink = CreateTestProbe();
        var refs = Enumerable.Range(0, actors).Select(_ => Sys.ActorOf(Props.Create(() => new Tally(sink.Ref, senders * perSender)))).ToArray();
        await Task.WhenAll(Enumerable.Range(0, senders).Select(s => Task.Run(() =>
        {
            for (var i = 0; i < perSender; i++)
            {
                foreach (var actor in refs)
                {
                    actor.Tell(new Item(s, i), null);
                }
            }
        })));

        var reports = Enumerable.Range(0, actors).Select(_ => sink.ExpectMsg<Report>(timeout: TimeSpan.FromSeconds(20))).ToList();
        Assert.All(reports, r => Assert.True(r.InOrder, "messages of one sender arrived out of order"));
        Assert.All(reports, r => Assert.Equal(senders * perSender, r.Distinct));
        sink.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void Actors_pinging_each_other_in_pairs_exchange_every_message()
    {
        const int pairs = 16;
        const int rounds = 2000;
        for (var p = 0; p < pairs; p++)
        {
            var pong = Sys.ActorOf(Props.Create<Pong>());
            Sys.ActorOf(Props.Create(() => new Ping(pong, rounds, TestActor)));
        }

        for (var p = 0; p < pairs; p++)
        {
            ExpectMsg(rounds, TimeSpan.FromSeconds(20));
        }
    }

    private sealed record Item(int Sender, int Seq);

    private sealed record Report(bool InOrder, int Distinct);

    private sealed class Tally : ReceiveActor
    {
        private readonly HashSet<(int, int)> _seen = [];
        private readonly Dictionary<int, int> _last = [];
        private bool _inOrder = true;

        public Tally(IActorRef sink, int expected) => Receive<Item>(item =>
        {
            if (_last.TryGetValue(item.Sender, out var previous) && previous >= item.Seq)
            {
                _inOrder = false;
            }

            _last[item.Sender] = item.Seq;
            _seen.Add((item.Sender, item.Seq));
            if (_seen.Count == expected)
            {
                sink.Tell(new Report(_inOrder, _seen.Count));
            }
        });
    }

    private sealed class Pong : ReceiveActor
    {
        public Pong() => Receive<int>(i => Sender.Tell(i));
    }

    private sealed class Ping : ReceiveActor
    {
        public Ping(IActorRef pong, int rounds, IActorRef done)
        {
            var received = 0;
            Receive<int>(_ =>
            {
                if (++received == rounds)
                {
                    done.Tell(received);
                }
            });
            for (var i = 0; i < rounds; i++)
            {
                pong.Tell(i, Self);
            }
        }
    }
}
