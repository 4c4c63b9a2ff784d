namespace Nanokit.Actors.Tests;

using Nanokit.Actors.TestKit;

public sealed class DeathWatchSpecs : TestKit
{
    [Fact]
    public void A_watcher_receives_Terminated_when_the_watched_actor_stops()
    {
        var target = Sys.ActorOf(Props.Create<Silent>());
        var probe = CreateTestProbe();
        probe.Watch(target);
        target.Tell(PoisonPill.Instance);
        probe.ExpectTerminated(target);
    }

    [Fact]
    public void Watching_an_actor_that_is_already_dead_delivers_Terminated()
    {
        var target = Sys.ActorOf(Props.Create<Silent>());
        Watch(target);
        Sys.Stop(target);
        ExpectTerminated(target);
        var late = CreateTestProbe();
        late.Watch(target);
        late.ExpectTerminated(target);
    }

    [Fact]
    public void Terminated_arrives_after_the_last_messages_the_dead_actor_sent()
    {
        var watcher = Sys.ActorOf(Props.Create(() => new Watcher(TestActor)));
        watcher.Tell("spawn");
        ExpectMsg("last words");
        ExpectMsg<string>(s => s.StartsWith("terminated", StringComparison.Ordinal));
    }

    [Fact]
    public void After_Unwatch_no_Terminated_is_delivered()
    {
        var target = Sys.ActorOf(Props.Create<Silent>());
        var probe = CreateTestProbe();
        probe.Watch(target);
        probe.Unwatch(target);
        probe.Send(target, PoisonPill.Instance);
        probe.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void An_unhandled_Terminated_kills_the_watcher_with_a_DeathPactException()
    {
        var target = Sys.ActorOf(Props.Create<Silent>());
        var pact = Sys.ActorOf(Props.Create(() => new Pact(target)));
        Watch(pact);
        Sys.Stop(target);
        ExpectTerminated(pact);
    }

    private sealed class Silent : ReceiveActor
    {
        public Silent() => Receive<string>(_ => { });
    }

    private sealed class Pact : ReceiveActor
    {
        public Pact(IActorRef target)
        {
            Context.Watch(target);
            Receive<string>(_ => { });
        }
    }

    private sealed class Watcher : ReceiveActor
    {
        public Watcher(IActorRef monitor)
        {
            Receive<string>(s => s == "spawn", _ =>
            {
                var child = Context.Watch(Context.ActorOf(Props.Create<Dying>()));
                child.Tell("go");
            });
            Receive<string>(s => monitor.Tell(s));
            Receive<Terminated>(t => monitor.Tell($"terminated {t.ActorRef.Path.Name}"));
        }
    }

    private sealed class Dying : ReceiveActor
    {
        public Dying() => Receive<string>(_ =>
        {
            Sender.Tell("last words");
            Context.Stop(Self);
        });
    }
}
