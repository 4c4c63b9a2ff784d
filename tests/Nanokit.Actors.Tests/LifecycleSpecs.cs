namespace Nanokit.Actors.Tests;

using System.Collections.Concurrent;
using Nanokit.Actors.TestKit;

public sealed class LifecycleSpecs : TestKit
{
    [Fact]
    public void PreStart_runs_before_the_first_message_and_PostStop_after_the_last()
    {
        var actor = Sys.ActorOf(Props.Create(() => new Recorder(TestActor, "a")));
        actor.Tell("hello");
        actor.Tell(PoisonPill.Instance);
        ExpectMsg("a:PreStart");
        ExpectMsg("a:hello");
        ExpectMsg("a:PostStop");
    }

    [Fact]
    public void Stopping_a_parent_stops_its_children_first()
    {
        var order = new ConcurrentQueue<string>();
        var parent = Sys.ActorOf(Props.Create(() => new Tree(order, "root", 2)), "root");
        AwaitCondition(() => order.Count == 5, message: "all PreStarts");
        order.Clear();
        Watch(parent);
        Sys.Stop(parent);
        ExpectTerminated(parent);
        var stops = order.ToArray();
        Assert.Equal(5, stops.Length);
        Assert.Equal("root", stops[^1]);
        foreach (var node in stops)
        {
            // Every node stops after all of its descendants ("root/0" after "root/0/1").
            Assert.All(stops.Where(s => s.StartsWith(node + "/", StringComparison.Ordinal)),
                descendant => Assert.True(Array.IndexOf(stops, descendant) < Array.IndexOf(stops, node)));
        }
    }

    [Fact]
    public async Task Terminating_the_system_stops_leaves_first_and_completes_WhenTerminated()
    {
        var order = new ConcurrentQueue<string>();
        using var system = ActorSystem.Create("terminating");
        system.ActorOf(Props.Create(() => new Tree(order, "a", 2)), "a");
        system.ActorOf(Props.Create(() => new Tree(order, "b", 1)), "b");
        AwaitCondition(() => order.Count == 7, message: "all PreStarts");
        order.Clear();
        await system.Terminate().WaitAsync(Dilated(TimeSpan.FromSeconds(5)));
        var stops = order.ToArray();
        Assert.Equal(7, stops.Length);
        Assert.True(Array.IndexOf(stops, "a") > Array.IndexOf(stops, "a/1"));
        Assert.True(Array.IndexOf(stops, "a/1") > Array.IndexOf(stops, "a/1/0"));
        Assert.True(Array.IndexOf(stops, "b") > Array.IndexOf(stops, "b/0"));
        Assert.True(system.WhenTerminated.IsCompleted);
        Assert.Throws<InvalidOperationException>(() => system.ActorOf(Props.Create(() => new Tree(order, "late", 0))));
    }

    [Fact]
    public void PoisonPill_stops_after_earlier_messages_and_Kill_fails_through_supervision()
    {
        var pill = Sys.ActorOf(Props.Create(() => new Recorder(TestActor, "p")));
        ExpectMsg("p:PreStart");
        pill.Tell("one");
        pill.Tell(PoisonPill.Instance);
        pill.Tell("never");
        ExpectMsg("p:one");
        ExpectMsg("p:PostStop");
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));

        var probe = CreateTestProbe();
        var supervisor = Sys.ActorOf(Props.Create(() => new Supervisor(probe.Ref)));
        probe.Send(supervisor, Props.Create(() => new Recorder(TestActor, "k")));
        var killed = probe.ExpectMsg<IActorRef>();
        ExpectMsg("k:PreStart");
        probe.Watch(killed);
        killed.Tell(Kill.Instance);
        killed.Tell("never");
        ExpectMsg("k:PostStop");
        probe.ExpectMsg<Exception>(e => e is ActorKilledException);
        probe.ExpectTerminated(killed);
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public async Task GracefulStop_completes_true_once_the_actor_has_stopped()
    {
        var actor = Sys.ActorOf(Props.Create(() => new Recorder(TestActor, "g")));
        Assert.True(await actor.GracefulStop(Dilated(TimeSpan.FromSeconds(3))));
        ExpectMsg("g:PreStart");
        ExpectMsg("g:PostStop");
        Assert.True(await actor.GracefulStop(Dilated(TimeSpan.FromSeconds(3))));
    }

    [Fact]
    public void ReceiveTimeout_fires_repeatedly_while_idle_and_can_be_turned_off()
    {
        var actor = Sys.ActorOf(Props.Create(() => new Idle(TestActor)));
        ExpectMsg("timeout");
        ExpectMsg("timeout");
        actor.Tell("off");
        FishForMessage<string>(s => s == "off");
        ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public void Actor_names_are_validated_and_unique_among_siblings()
    {
        var parent = Sys.ActorOf(Props.Create(() => new Supervisor(TestActor)));
        parent.Tell(Props.Create(() => new Recorder(TestActor, "c")));
        var child = ExpectMsg<IActorRef>();
        Assert.Throws<InvalidActorNameException>(() => Sys.ActorOf(Props.Create(() => new Recorder(TestActor, "x")), "$bad"));
        Sys.ActorOf(Props.Create(() => new Recorder(TestActor, "n1")), "unique");
        Assert.Throws<InvalidActorNameException>(() => Sys.ActorOf(Props.Create(() => new Recorder(TestActor, "n2")), "unique"));
        Assert.EndsWith("/user/" + parent.Path.Name + "/" + child.Path.Name, child.Path.ToString(), StringComparison.Ordinal);
    }

    internal sealed class Recorder : ReceiveActor
    {
        private readonly IActorRef _monitor;
        private readonly string _name;

        public Recorder(IActorRef monitor, string name)
        {
            _monitor = monitor;
            _name = name;
            Receive<string>(s => _monitor.Tell($"{_name}:{s}"));
        }

        protected override void PreStart() => _monitor.Tell($"{_name}:PreStart");

        protected override void PostStop() => _monitor.Tell($"{_name}:PostStop");
    }

    /// <summary>Creates a child per Props it receives and reports failures of its children.</summary>
    internal sealed class Supervisor : ReceiveActor
    {
        private readonly IActorRef _monitor;

        public Supervisor(IActorRef monitor)
        {
            _monitor = monitor;
            Init();
        }

        protected override Supervision.SupervisorStrategy SupervisorStrategy() =>
            new Supervision.OneForOneStrategy(e =>
            {
                _monitor.Tell(e);
                return Supervision.SupervisorStrategy.DefaultDecider(e);
            });

        private void Init() => Receive<Props>(p => Sender.Tell(Context.ActorOf(p)));
    }

    private sealed class Tree : ReceiveActor
    {
        private readonly ConcurrentQueue<string> _log;
        private readonly string _name;
        private readonly int _depth;

        public Tree(ConcurrentQueue<string> log, string name, int depth)
        {
            _log = log;
            _name = name;
            _depth = depth;
            ReceiveAny(_ => { });
        }

        protected override void PreStart()
        {
            _log.Enqueue(_name);
            for (var i = 0; i < _depth; i++)
            {
                var childName = $"{_name}/{i}";
                Context.ActorOf(Props.Create(() => new Tree(_log, childName, _depth - 1)), i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        protected override void PostStop() => _log.Enqueue(_name);
    }

    private sealed class Idle : ReceiveActor
    {
        public Idle(IActorRef monitor)
        {
            Context.SetReceiveTimeout(TimeSpan.FromMilliseconds(100));
            Receive<ReceiveTimeout>(_ => monitor.Tell("timeout"));
            Receive<string>(s => s == "off", _ =>
            {
                Context.SetReceiveTimeout(null);
                Sender.Tell("off");
            });
        }
    }
}
