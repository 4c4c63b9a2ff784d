namespace Nanokit.Actors.Tests;

using Nanokit.Actors.Supervision;
using Nanokit.Actors.TestKit;

public sealed class SupervisionSpecs : TestKit
{
    [Fact]
    public void A_restart_drops_the_failing_message_keeps_the_rest_of_the_mailbox_and_runs_the_restart_hooks()
    {
        var actor = Sys.ActorOf(Props.Create(() => new Counter(TestActor)));
        ExpectMsg("PreStart 0");
        actor.Tell("inc");
        actor.Tell("fail");
        actor.Tell("inc");
        actor.Tell("get");
        ExpectMsg("PreRestart fail");
        ExpectMsg("PostRestart boom");
        ExpectMsg("PreStart 0");
        ExpectMsg(1);
    }

    [Fact]
    public void Resume_keeps_the_state_of_the_actor()
    {
        var parent = Sys.ActorOf(Props.Create(() => new Parent(TestActor, new OneForOneStrategy(_ => Directive.Resume))));
        parent.Tell(Props.Create(() => new Counter(TestActor)));
        var child = ExpectMsg<IActorRef>();
        ExpectMsg("PreStart 0");
        child.Tell("inc");
        child.Tell("fail");
        child.Tell("inc");
        child.Tell("get");
        ExpectMsg(2);
    }

    [Fact]
    public void Stop_directive_stops_the_failed_child()
    {
        var parent = Sys.ActorOf(Props.Create(() => new Parent(TestActor, new OneForOneStrategy(_ => Directive.Stop))));
        parent.Tell(Props.Create(() => new Counter(TestActor)));
        var child = ExpectMsg<IActorRef>();
        ExpectMsg("PreStart 0");
        Watch(child);
        child.Tell("fail");
        ExpectMsg("PostStop");
        ExpectTerminated(child);
    }

    [Fact]
    public void Escalate_fails_the_parent_whose_supervisor_restarts_it_and_its_children()
    {
        var grandparent = Sys.ActorOf(Props.Create(() => new Parent(TestActor, new OneForOneStrategy(_ => Directive.Restart))));
        grandparent.Tell(Props.Create(() => new Parent(TestActor, new OneForOneStrategy(_ => Directive.Escalate))));
        var parent = ExpectMsg<IActorRef>();
        parent.Tell(Props.Create(() => new Counter(TestActor)));
        var child = ExpectMsg<IActorRef>();
        ExpectMsg("PreStart 0");
        Watch(child);
        child.Tell("fail");
        // The parent's restart stops its children and waits for them before the fresh instance starts.
        ExpectMsg("PostStop");
        var rest = ReceiveN(2);
        Assert.Contains("parent restarted: boom", rest);
        Assert.Contains(new Terminated(child), rest);
    }

    [Fact]
    public void All_for_one_restarts_every_sibling_when_one_fails()
    {
        var parent = Sys.ActorOf(Props.Create(() => new Parent(TestActor, new AllForOneStrategy(_ => Directive.Restart))));
        parent.Tell(Props.Create(() => new Counter(TestActor)));
        var first = ExpectMsg<IActorRef>();
        ExpectMsg("PreStart 0");
        parent.Tell(Props.Create(() => new Counter(TestActor)));
        var second = ExpectMsg<IActorRef>();
        ExpectMsg("PreStart 0");
        second.Tell("inc");
        first.Tell("fail");
        var events = ReceiveN(6).Cast<string>().ToList();
        Assert.Equal(2, events.Count(e => e.StartsWith("PreRestart", StringComparison.Ordinal)));
        Assert.Equal(2, events.Count(e => e == "PreStart 0"));
        second.Tell("get");
        ExpectMsg(0);
    }

    [Fact]
    public void A_child_failing_more_often_than_the_retry_limit_is_stopped()
    {
        var strategy = new OneForOneStrategy(2, TimeSpan.FromMinutes(1), _ => Directive.Restart);
        var parent = Sys.ActorOf(Props.Create(() => new Parent(TestActor, strategy)));
        parent.Tell(Props.Create(() => new Counter(TestActor)));
        var child = ExpectMsg<IActorRef>();
        Watch(child);
        for (var i = 0; i < 3; i++)
        {
            child.Tell("fail");
        }

        FishForMessage<Terminated>(t => ReferenceEquals(t.ActorRef, child));
    }

    [Fact]
    public void A_failing_constructor_stops_the_actor_by_default()
    {
        var actor = Sys.ActorOf(Props.Create(() => new Broken()));
        Watch(actor);
        ExpectTerminated(actor);
    }

    [Fact]
    public void The_default_strategy_restarts_a_top_level_actor()
    {
        var actor = Sys.ActorOf(Props.Create(() => new Counter(TestActor)));
        ExpectMsg("PreStart 0");
        actor.Tell("fail");
        ExpectMsg("PreRestart fail");
        ExpectMsg("PostRestart boom");
        ExpectMsg("PreStart 0");
    }

    internal sealed class Counter : ReceiveActor
    {
        private readonly IActorRef _monitor;
        private int _count;

        public Counter(IActorRef monitor)
        {
            _monitor = monitor;
            Receive<string>(s => s == "inc", _ => _count++);
            Receive<string>(s => s == "get", _ => Sender.Tell(_count));
            Receive<string>(s => s == "fail", _ => throw new InvalidOperationException("boom"));
        }

        protected override void PreStart() => _monitor.Tell($"PreStart {_count}");

        protected override void PostStop() => _monitor.Tell("PostStop");

        protected override void PreRestart(Exception reason, object? message) => _monitor.Tell($"PreRestart {message}");

        protected override void PostRestart(Exception reason)
        {
            _monitor.Tell($"PostRestart {reason.Message}");
            base.PostRestart(reason);
        }
    }

    /// <summary>Creates a child per Props it receives, replying with its ref, under the given strategy.</summary>
    private sealed class Parent : ReceiveActor
    {
        private readonly IActorRef _monitor;
        private readonly SupervisorStrategy _strategy;

        public Parent(IActorRef monitor, SupervisorStrategy strategy)
        {
            _monitor = monitor;
            _strategy = strategy;
            Receive<Props>(p => Sender.Tell(Context.ActorOf(p)));
        }

        protected override SupervisorStrategy SupervisorStrategy() => _strategy;

        protected override void PostRestart(Exception reason) => _monitor.Tell($"parent restarted: {reason.Message}");
    }

    private sealed class Broken : ReceiveActor
    {
        public Broken() => throw new InvalidOperationException("cannot construct");
    }
}
