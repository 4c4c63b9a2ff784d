namespace Nanokit.Actors.Tests;

using Nanokit.Actors.TestKit;

public sealed class ReceiveActorSpecs : TestKit
{
    [Fact]
    public void The_first_handler_whose_type_and_predicate_match_handles_the_message()
    {
        var actor = Sys.ActorOf(Props.Create<Classifier>());
        actor.Tell(5);
        actor.Tell(-3);
        actor.Tell("text");
        ExpectMsg("positive 5");
        ExpectMsg("other int -3");
        ExpectMsg("any text");
    }

    [Fact]
    public void ReceiveAsync_processes_no_other_message_until_its_task_completes()
    {
        var actor = Sys.ActorOf(Props.Create(() => new SlowAsync()));
        for (var i = 0; i < 20; i++)
        {
            actor.Tell(i);
        }

        for (var i = 0; i < 20; i++)
        {
            ExpectMsg($"start {i}");
            ExpectMsg($"end {i}");
        }
    }

    [Fact]
    public void ReceiveAsync_keeps_the_sender_after_an_await()
    {
        var actor = Sys.ActorOf(Props.Create(() => new SlowAsync()));
        var probe = CreateTestProbe();
        probe.Send(actor, 7);
        probe.ExpectMsg("start 7");
        probe.ExpectMsg("end 7");
    }

    [Fact]
    public void A_failing_ReceiveAsync_task_goes_through_supervision()
    {
        var actor = Sys.ActorOf(Props.Create(() => new SlowAsync(TestActor)));
        actor.Tell("fail");
        actor.Tell(1);
        ExpectMsg("restarted");
        ExpectMsg("start 1");
        ExpectMsg("end 1");
    }

    [Fact]
    public void Become_replaces_the_behaviour_and_Unbecome_returns_to_the_stacked_one()
    {
        var actor = Sys.ActorOf(Props.Create<Moody>());
        actor.Tell("mood");
        actor.Tell("happy");
        actor.Tell("mood");
        actor.Tell("angry");
        actor.Tell("mood");
        actor.Tell("calm");
        actor.Tell("mood");
        ExpectMsg("neutral");
        ExpectMsg("happy");
        ExpectMsg("angry");
        ExpectMsg("happy");
    }

    [Fact]
    public void UnstashAll_replays_stashed_messages_in_order_before_newer_ones()
    {
        var actor = Sys.ActorOf(Props.Create<Gate>());
        actor.Tell("a");
        actor.Tell("b");
        actor.Tell("c");
        actor.Tell("open");
        actor.Tell("d");
        ExpectMsg("a");
        ExpectMsg("b");
        ExpectMsg("c");
        ExpectMsg("d");
    }

    [Fact]
    public void Stashed_messages_survive_a_restart()
    {
        var actor = Sys.ActorOf(Props.Create<Gate>());
        actor.Tell("a");
        actor.Tell("crash");
        actor.Tell("open");
        ExpectMsg("a");
    }

    private sealed class Classifier : ReceiveActor
    {
        public Classifier()
        {
            Receive<int>(i => i > 0, i => Sender.Tell($"positive {i}"));
            Receive<int>(i => Sender.Tell($"other int {i}"));
            ReceiveAny(m => Sender.Tell($"any {m}"));
        }
    }

    private sealed class SlowAsync : ReceiveActor
    {
        private readonly IActorRef? _monitor;

        public SlowAsync(IActorRef? monitor = null)
        {
            _monitor = monitor;
            ReceiveAsync<int>(async i =>
            {
                Sender.Tell($"start {i}");
                await Task.Delay(i % 3);
                await Task.Yield();
                Sender.Tell($"end {i}");
            });
            ReceiveAsync<string>(async _ =>
            {
                await Task.Yield();
                throw new InvalidOperationException("boom");
            });
        }

        protected override void PostRestart(Exception reason) => _monitor?.Tell("restarted");
    }

    private sealed class Moody : ReceiveActor
    {
        public Moody()
        {
            Receive<string>(s => s == "mood", _ => Sender.Tell("neutral"));
            Receive<string>(s => s == "happy", _ => Become(Happy));
        }

        private void Happy()
        {
            Receive<string>(s => s == "mood", _ => Sender.Tell("happy"));
            Receive<string>(s => s == "angry", _ => BecomeStacked(Angry));
        }

        private void Angry()
        {
            Receive<string>(s => s == "mood", _ => Sender.Tell("angry"));
            Receive<string>(s => s == "calm", _ => Unbecome());
        }
    }

    private sealed class Gate : ReceiveActor, IWithStash
    {
        public Gate()
        {
            Receive<string>(s => s == "open", _ =>
            {
                Become(() => Receive<string>(s => Sender.Tell(s)));
                Stash.UnstashAll();
            });
            Receive<string>(s => s == "crash", _ => throw new InvalidOperationException("crash"));
            Receive<string>(_ => Stash.Stash());
        }

        public IStash Stash { get; set; } = null!;
    }
}
