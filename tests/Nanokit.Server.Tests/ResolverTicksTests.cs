using Akka.Actor;
using Akka.TestKit.Xunit2;
using Microsoft.Extensions.Logging.Abstractions;
using Nanokit.Server.Cluster;
using Xunit;

namespace Nanokit.Server.Tests;

/// <summary>
/// The split-brain resolver's tick is internal to Akka.Cluster: these fail when an upgrade renames the message or
/// moves the resolver, before a node silently falls back to deciding once a second.
/// </summary>
public sealed class ResolverTicksTests() : TestKit("""
    akka.actor.provider = cluster
    akka.remote.dot-netty.tcp.hostname = 127.0.0.1
    akka.remote.dot-netty.tcp.port = 0
    akka.cluster.downing-provider-class = "Akka.Cluster.SBR.SplitBrainResolverProvider, Akka.Cluster"
    """)
{
    [Fact]
    public void The_resolver_tick_message_is_found_in_this_Akka_Cluster()
    {
        Assert.NotNull(ResolverTicks.Message);
        Assert.Equal("Akka.Cluster.SBR.SplitBrainResolverBase+Tick", ResolverTicks.Message!.GetType().FullName);
    }

    [Fact]
    public async Task The_ticks_go_to_the_actor_the_resolver_runs_as()
    {
        var cluster = Akka.Cluster.Cluster.Get(Sys);
        var up = new TaskCompletionSource();
        cluster.RegisterOnMemberUp(up.SetResult);
        cluster.Join(cluster.SelfAddress);
        await up.Task.WaitAsync(TimeSpan.FromSeconds(20));
        var resolver = await Sys.ActorSelection(ResolverTicks.ResolverPath).ResolveOne(TimeSpan.FromSeconds(10));
        Assert.Contains("SplitBrainResolver", ((ActorRefWithCell)resolver).Underlying.Props.Type.Name, StringComparison.Ordinal);

        ResolverTicks.Start(Sys, TimeSpan.FromMilliseconds(50), NullLogger.Instance);
        var ticks = await Sys.ActorSelection("/user/resolver-ticks").ResolveOne(TimeSpan.FromSeconds(5));
        Watch(resolver);
        ExpectNoMsg(TimeSpan.FromMilliseconds(500)); // the resolver takes the extra ticks without failing
        Assert.False(ticks.IsNobody());
    }
}
