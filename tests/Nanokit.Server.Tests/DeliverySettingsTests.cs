using Akka.Configuration;
using Xunit;

namespace Nanokit.Server.Tests;

/// <summary>The intent-delivery settings a node derives from the cluster's own timing keys.</summary>
public sealed class DeliverySettingsTests
{
    private static ServerSettings Settings(string hocon) => ServerSettings.From(
        new ServerOptions { Store = "Host=127.0.0.1", TokenFile = "unused" },
        ConfigurationFactory.ParseString(hocon).WithFallback(ServerSettings.Shipped));

    [Theory]
    [InlineData("", 1400)]
    [InlineData("akka.cluster.down-removal-margin = 3s", 3400)]
    [InlineData("akka.cluster.sharding.retry-interval = 1s", 3000)]
    [InlineData("akka.cluster.down-removal-margin = off\nakka.cluster.split-brain-resolver.stable-after = 5s", 5400)]
    public void Unanswered_intents_go_once_more_after_the_removal_margin_and_two_region_retries(string hocon, int milliseconds)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), Settings(hocon).Delivery.ResendAfterRemoval);
    }
}
