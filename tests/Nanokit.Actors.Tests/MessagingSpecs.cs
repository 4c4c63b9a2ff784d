namespace Nanokit.Actors.Tests;

using Nanokit.Actors.TestKit;

public sealed class MessagingSpecs : TestKit
{
    [Fact]
    public void Messages_from_one_sender_arrive_in_the_order_they_were_sent()
    {
        var echo = Sys.ActorOf(Props.Create<Echo>());
        for (var i = 0; i < 1000; i++)
        {
            echo.Tell(i);
        }

        for (var i = 0; i < 1000; i++)
        {
            ExpectMsg(i);
        }
    }

    [Fact]
    public void Tell_from_a_test_uses_the_test_actor_as_sender_and_Forward_keeps_the_original_sender()
    {
        var echo = Sys.ActorOf(Props.Create<Echo>());
        var forwarder = Sys.ActorOf(Props.Create(() => new Forwarder(echo)));
        forwarder.Tell("hello");
        ExpectMsg("hello");
        Assert.Same(echo, LastSender);
    }

    [Fact]
    public void An_unhandled_message_is_published_on_the_event_stream()
    {
        var probe = CreateTestProbe();
        Sys.EventStream.Subscribe(probe.Ref, typeof(UnhandledMessage));
        var actor = Sys.ActorOf(Props.Create<OnlyStrings>());
        actor.Tell(42);
        var unhandled = probe.ExpectMsg<UnhandledMessage>();
        Assert.Equal(42, unhandled.Message);
        Assert.Same(actor, unhandled.Recipient);
        Assert.Same(TestActor, unhandled.Sender);
    }

    [Fact]
    public void Messages_to_a_stopped_actor_are_dead_letters_that_are_counted_and_published()
    {
        var probe = CreateTestProbe();
        Sys.EventStream.Subscribe(probe.Ref, typeof(DeadLetter));
        var actor = Sys.ActorOf(Props.Create<Echo>());
        Watch(actor);
        Sys.Stop(actor);
        ExpectTerminated(actor);
        var before = Sys.DeadLetterCount;
        actor.Tell("lost-1");
        actor.Tell("lost-2");
        Assert.Equal("lost-1", probe.ExpectMsg<DeadLetter>().Message);
        Assert.Equal("lost-2", probe.ExpectMsg<DeadLetter>().Message);
        Assert.True(Sys.DeadLetterCount >= before + 2);
    }

    [Fact]
    public void The_event_stream_delivers_subtypes_to_subscribers_until_they_unsubscribe()
    {
        var probe = CreateTestProbe();
        Sys.EventStream.Subscribe(probe.Ref, typeof(Animal));
        Sys.EventStream.Publish(new Dog("rex"));
        Sys.EventStream.Publish("not an animal");
        probe.ExpectMsg(new Dog("rex"));
        Sys.EventStream.Unsubscribe(probe.Ref, typeof(Animal));
        Sys.EventStream.Publish(new Dog("fido"));
        probe.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void A_stopped_subscriber_is_removed_from_the_event_stream()
    {
        var subscriber = Sys.ActorOf(Props.Create<Echo>());
        Sys.EventStream.Subscribe(subscriber, typeof(Dog));
        Watch(subscriber);
        Sys.Stop(subscriber);
        ExpectTerminated(subscriber);
        Assert.False(Sys.EventStream.Unsubscribe(subscriber));
    }

    internal abstract record Animal;

    internal sealed record Dog(string Name) : Animal;

    private sealed class Echo : ReceiveActor
    {
        public Echo() => ReceiveAny(m => Sender.Tell(m));
    }

    private sealed class Forwarder : ReceiveActor
    {
        public Forwarder(IActorRef target) => ReceiveAny(target.Forward);
    }

    private sealed class OnlyStrings : ReceiveActor
    {
        public OnlyStrings() => Receive<string>(_ => { });
    }
}
