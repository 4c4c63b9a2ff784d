using System.Text.Json;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using Microsoft.Extensions.Logging.Abstractions;
using Nanokit.Reconciler;
using Nanokit.Reconciler.Hosting;
using Nanokit.Server.Api;
using Nanokit.Server.Intents;
using Xunit;

namespace Nanokit.Server.Tests;

/// <summary>One node's intent delivery: when it sends an unanswered intent again, and what it sends.</summary>
public sealed class IntentRedeliveryTests : TestKit
{
    [Fact]
    public void A_member_removed_sends_every_unanswered_intent_again_without_waiting_for_its_backoff()
    {
        var region = CreateTestProbe();
        var hour = TimeSpan.FromHours(1);
        var delivery = Sys.ActorOf(IntentDelivery.Props(region, new DeliverySettings(hour, hour, 10, TimeSpan.FromSeconds(5), hour), new IntentSenders("test"), NullLogger.Instance));
        delivery.Tell(new IntentsPending([new Intent("a", 2, null), new Intent("b", 1, null)], PendingScope.All));
        Assert.Equal(["a", "b"], new[] { region.ExpectMsg<ProjectEnvelope>().ProjectId, region.ExpectMsg<ProjectEnvelope>().ProjectId }.Order());
        delivery.Tell(new SpecAccepted("b", 1));
        region.ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        delivery.Tell(IntentDelivery.MemberLeft.Instance);

        var again = region.ExpectMsg<ProjectEnvelope>();
        Assert.Equal(("a", 2L), (again.ProjectId, ((ApplyIntent)again.Message).Generation));
        region.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public void After_a_member_is_removed_unanswered_intents_are_sent_once_more_when_its_shards_have_a_new_home()
    {
        var region = CreateTestProbe();
        var hour = TimeSpan.FromHours(1);
        var settings = new DeliverySettings(hour, hour, 10, TimeSpan.FromSeconds(5), hour) { ResendAfterRemoval = TimeSpan.FromMilliseconds(600) };
        var delivery = Sys.ActorOf(IntentDelivery.Props(region, settings, new IntentSenders("test"), NullLogger.Instance));
        delivery.Tell(new IntentsPending([new Intent("a", 2, null), new Intent("b", 1, null)], PendingScope.All));
        region.ExpectMsg<ProjectEnvelope>();
        region.ExpectMsg<ProjectEnvelope>();

        delivery.Tell(IntentDelivery.MemberLeft.Instance);
        Assert.Equal(["a", "b"], new[] { region.ExpectMsg<ProjectEnvelope>().ProjectId, region.ExpectMsg<ProjectEnvelope>().ProjectId }.Order());
        delivery.Tell(new SpecAccepted("b", 1));
        region.ExpectNoMsg(TimeSpan.FromMilliseconds(300));

        // The copy sent at the removal may have gone to the dead member: "a" goes once more, "b" answered meanwhile.
        Assert.Equal("a", region.ExpectMsg<ProjectEnvelope>(TimeSpan.FromSeconds(3)).ProjectId);
        region.ExpectNoMsg(TimeSpan.FromMilliseconds(900));
    }

    [Fact]
    public void After_projects_took_seconds_to_answer_an_unanswered_intent_waits_about_that_long_before_it_is_sent_again()
    {
        var region = CreateTestProbe();
        var settings = new DeliverySettings(TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(200), 10, TimeSpan.FromSeconds(5), TimeSpan.FromHours(1));
        var clock = new ShiftedClock();
        var delivery = Sys.ActorOf(IntentDelivery.Props(region, settings, new IntentSenders("test"), NullLogger.Instance, clock));
        delivery.Tell(new IntentsPending([new Intent("slow", 1, null)], PendingScope.Notified));
        Assert.Equal("slow", region.ExpectMsg<ProjectEnvelope>().ProjectId);

        // Answered 1.5 s after it was first sent (copies went meanwhile, every 100-200 ms): the wait for the next
        // intent's first copy becomes mean + 4 deviations of that, 1.5 + 4 × 0.75 = 4.5 s.
        clock.Shift(TimeSpan.FromSeconds(1.5));
        delivery.Tell(new SpecAccepted("slow", 1));
        delivery.Tell(new IntentsPending([new Intent("next", 1, null)], PendingScope.Notified));
        region.FishForMessage<ProjectEnvelope>(e => e.ProjectId == "next");

        region.ExpectNoMsg(TimeSpan.FromSeconds(2.5));
        Assert.Equal("next", region.ExpectMsg<ProjectEnvelope>(TimeSpan.FromSeconds(5)).ProjectId);
    }

    [Fact]
    public void An_intent_is_sent_with_its_stored_spec_parsed_once_and_its_copies_repeat_that_message()
    {
        var region = CreateTestProbe();
        var settings = new DeliverySettings(TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(100), 10, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(100));
        var delivery = Sys.ActorOf(IntentDelivery.Props(region, settings, new IntentSenders("test"), NullLogger.Instance));
        var spec = SpecLoader.Load(TestFiles.Apply(TestFiles.Project("parsed")), "/projects", Path.GetTempPath());
        var web = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        var json = JsonSerializer.Serialize(spec, web);

        delivery.Tell(new IntentsPending([new Intent("parsed", 1, json)], PendingScope.Notified));

        var first = (ApplyIntent)region.ExpectMsg<ProjectEnvelope>().Message;
        Assert.Equal(json, JsonSerializer.Serialize(first.Spec, web));
        var copy = (ApplyIntent)region.ExpectMsg<ProjectEnvelope>(TimeSpan.FromSeconds(5)).Message;
        Assert.Same(first, copy);
    }

    [Fact]
    public void An_intent_unanswered_for_longer_than_redeliver_after_max_is_named_once_at_warning_with_its_sends()
    {
        var region = CreateTestProbe();
        var settings = new DeliverySettings(TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(200), 10, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30));
        var clock = new ShiftedClock();
        var log = new WarningLog();
        var delivery = Sys.ActorOf(IntentDelivery.Props(region, settings, new IntentSenders("test"), log, clock));
        delivery.Tell(new IntentsPending([new Intent("silent", 3, null), new Intent("answers", 1, null)], PendingScope.Notified));
        region.FishForMessage<ProjectEnvelope>(e => e.ProjectId == "silent");
        delivery.Tell(new SpecAccepted("answers", 1));
        region.FishForMessage<ProjectEnvelope>(e => e.ProjectId == "silent", TimeSpan.FromSeconds(5));
        Assert.Empty(log.Warnings);

        clock.Shift(TimeSpan.FromSeconds(31));

        AwaitAssert(() => Assert.Matches(@"^Intent of project silent generation 3 is still unanswered after \d+ sends over 00:00:3\d", Assert.Single(log.Warnings)), TimeSpan.FromSeconds(5));
        region.FishForMessage<ProjectEnvelope>(e => e.ProjectId == "silent", TimeSpan.FromSeconds(5));
        region.FishForMessage<ProjectEnvelope>(e => e.ProjectId == "silent", TimeSpan.FromSeconds(5));
        Assert.Single(log.Warnings);
    }

    /// <summary>The warnings a component logged, formatted.</summary>
    private sealed class WarningLog : Microsoft.Extensions.Logging.ILogger
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> warnings = new();

        public IReadOnlyList<string> Warnings => [.. warnings];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == Microsoft.Extensions.Logging.LogLevel.Warning)
            {
                warnings.Enqueue(formatter(state, exception));
            }
        }
    }

    /// <summary>The system clock moved on by hand: later instants still pass in real time, as the actor's timers do.</summary>
    private sealed class ShiftedClock : TimeProvider
    {
        private long shiftTicks;

        public void Shift(TimeSpan by) => Interlocked.Add(ref shiftTicks, by.Ticks);

        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + TimeSpan.FromTicks(Interlocked.Read(ref shiftTicks));
    }
}
