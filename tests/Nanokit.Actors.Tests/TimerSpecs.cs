namespace Nanokit.Actors.Tests;

using Nanokit.Actors.Scheduling;
using Nanokit.Actors.TestKit;

public sealed class TimerSpecs : TestKit
{
    [Fact]
    public void A_single_timer_delivers_its_message_once()
    {
        var actor = Sys.ActorOf(Props.Create(() => new Timed(TestActor)));
        actor.Tell(new StartSingle("tick", TimeSpan.FromMilliseconds(50)));
        ExpectMsg("tick");
        actor.Tell("active?");
        ExpectMsg(false);
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void A_periodic_timer_repeats_until_cancelled_and_then_never_delivers_again()
    {
        var actor = Sys.ActorOf(Props.Create(() => new Timed(TestActor)));
        actor.Tell(new StartPeriodic("beat", TimeSpan.FromMilliseconds(30)));
        ExpectMsg("beat");
        ExpectMsg("beat");
        ExpectMsg("beat");
        actor.Tell("cancel");
        FishForMessage<string>(s => s == "cancelled");
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void Starting_a_timer_with_the_same_key_replaces_the_previous_one()
    {
        var actor = Sys.ActorOf(Props.Create(() => new Timed(TestActor)));
        actor.Tell(new StartSingle("first", TimeSpan.FromMilliseconds(100)));
        actor.Tell(new StartSingle("second", TimeSpan.FromMilliseconds(150)));
        ExpectMsg("second");
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void Timers_are_cancelled_when_the_actor_restarts_or_stops()
    {
        var actor = Sys.ActorOf(Props.Create(() => new Timed(TestActor)));
        actor.Tell(new StartPeriodic("beat", TimeSpan.FromMilliseconds(30)));
        ExpectMsg("beat");
        actor.Tell("fail");
        FishForMessage<string>(s => s == "restarted");
        actor.Tell("active?");
        ExpectMsg(false);
        ExpectNoMsg(TimeSpan.FromMilliseconds(150));

        actor.Tell(new StartPeriodic("beat", TimeSpan.FromMilliseconds(30)));
        ExpectMsg("beat");
        Watch(actor);
        Sys.Stop(actor);
        FishForMessage<Terminated>(_ => true);
        ExpectNoMsg(TimeSpan.FromMilliseconds(150));
    }

    [Fact]
    public void The_system_scheduler_tells_once_and_repeatedly_until_cancelled()
    {
        Sys.Scheduler.ScheduleTellOnce(TimeSpan.FromMilliseconds(20), TestActor, "once", null);
        ExpectMsg("once");
        var repeating = Sys.Scheduler.ScheduleTellRepeatedlyCancelable(TimeSpan.Zero, TimeSpan.FromMilliseconds(20), TestActor, "again", null);
        ExpectMsg("again");
        ExpectMsg("again");
        repeating.Cancel();
        Assert.True(repeating.IsCancellationRequested);
    }

    private sealed record StartSingle(string Message, TimeSpan Delay);

    private sealed record StartPeriodic(string Message, TimeSpan Interval);

    private sealed class Timed : ReceiveActor, IWithTimers
    {
        public Timed(IActorRef monitor)
        {
            Receive<StartSingle>(s => Timers.StartSingleTimer("key", s.Message, s.Delay));
            Receive<StartPeriodic>(s => Timers.StartPeriodicTimer("key", s.Message, s.Interval));
            Receive<string>(s => s == "cancel", _ =>
            {
                Timers.Cancel("key");
                monitor.Tell("cancelled");
            });
            Receive<string>(s => s == "active?", _ => Sender.Tell(Timers.IsTimerActive("key")));
            Receive<string>(s => s == "fail", _ => throw new InvalidOperationException("boom"));
            Receive<string>(s => monitor.Tell(s));
            Monitor = monitor;
        }

        public ITimerScheduler Timers { get; set; } = null!;

        private IActorRef Monitor { get; }

        protected override void PostRestart(Exception reason) => Monitor.Tell("restarted");
    }
}
