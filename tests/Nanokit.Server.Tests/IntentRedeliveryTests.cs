using Akka.Actor;
using Akka.TestKit.Xunit2;
using Microsoft.Extensions.Logging.Abstractions;
using Nanokit.Reconciler;
using Nanokit.Reconciler.Hosting;
using Nanokit.Server.Intents;
using Xunit;

namespace Nanokit.Server.Tests;

/// <summary>One node's intent delivery when a member leaves: what it sent there and was not answered goes again at once.</summary>
public sealed class IntentRedeliveryTests : TestKit
{
    [Fact]
    public void A_member_removed_sends_every_unanswered_intent_again_without_waiting_for_its_backoff()
    {
        var region = CreateTestProbe();
        var hour = TimeSpan.FromHours(1);
        var delivery = Sys.ActorOf(IntentDelivery.Props(region, new DeliverySettings(hour, hour, 10, TimeSpan.FromSeconds(5)), new IntentSenders("test"), NullLogger.Instance));
        delivery.Tell(new IntentsPending([new Intent("a", 2, null), new Intent("b", 1, null)], PendingScope.All));
        Assert.Equal(["a", "b"], new[] { region.ExpectMsg<ProjectEnvelope>().ProjectId, region.ExpectMsg<ProjectEnvelope>().ProjectId }.Order());
        delivery.Tell(new SpecAccepted("b", 1));
        region.ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        delivery.Tell(IntentDelivery.MemberLeft.Instance);

        var again = region.ExpectMsg<ProjectEnvelope>();
        Assert.Equal(("a", 2L), (again.ProjectId, ((ApplyIntent)again.Message).Generation));
        region.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }
}
