namespace Nanokit.Runtime.Tests;

public sealed class RuntimeExceptionTests
{
    [Fact]
    public void A_failure_the_platform_gave_no_message_for_still_names_the_replica_and_says_what_is_known()
    {
        var withInner = new RuntimeException("docker", "shop", "web", 1, "", new IOException());
        var bare = new RuntimeException("docker", "shop", "web", null, "  ");

        Assert.Equal("docker runtime: shop/web-1: IOException, and the runtime gave no message", withInner.Message);
        Assert.Equal("docker runtime: shop/web: failed, and the runtime gave no reason", bare.Message);
    }
}
