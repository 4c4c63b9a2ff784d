using System.Threading.Channels;
using Nanokit.Actors;
using Nanokit.Reconciler;

namespace Nanokit.Cli.Running;

/// <summary>Carries the reconciler's published events out of the actor system into a channel the command reads.</summary>
internal sealed class EventBridge : ReceiveActor
{
    public EventBridge(ChannelWriter<object> writer)
    {
        ReceiveAny(message => writer.TryWrite(message));
    }

    public static ChannelReader<object> Attach(ActorSystem system)
    {
        var channel = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });
        var bridge = system.ActorOf(Props.Create(() => new EventBridge(channel.Writer)), "cli-events");
        system.EventStream.Subscribe(bridge, typeof(RunStarted));
        system.EventStream.Subscribe(bridge, typeof(ServiceProgress));
        system.EventStream.Subscribe(bridge, typeof(RunCompleted));
        system.EventStream.Subscribe(bridge, typeof(DriftReport));
        return channel.Reader;
    }
}
