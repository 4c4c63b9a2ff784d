using System.Threading.Channels;
using Akka.Actor;
using Nanokit.Reconciler;

namespace Nanokit.Cli.Running;

/// <summary>Subscribes an <see cref="EventBridge"/> to what a command prints and what ends it.</summary>
internal static class CliEvents
{
    public static Attached Attach(ActorSystem system, Action<IntentAccepted> intentAccepted, Action<RunCompleted> runCompleted, Action<RestartsCounted> restartsCounted)
    {
        var channel = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });
        var storageFailed = new TaskCompletionSource<StorageFailed>(TaskCreationOptions.RunContinuationsAsynchronously);
        var bridge = system.ActorOf(Props.Create(() => new EventBridge(channel.Writer, storageFailed, intentAccepted, runCompleted, restartsCounted)), "cli-events");
        system.EventStream.Subscribe(bridge, typeof(IntentAccepted));
        system.EventStream.Subscribe(bridge, typeof(RestartsCounted));
        system.EventStream.Subscribe(bridge, typeof(RunStarted));
        system.EventStream.Subscribe(bridge, typeof(ServiceProgress));
        system.EventStream.Subscribe(bridge, typeof(RunCompleted));
        system.EventStream.Subscribe(bridge, typeof(DriftReport));
        system.EventStream.Subscribe(bridge, typeof(StorageFailed));
        return new Attached(channel.Reader, storageFailed.Task);
    }

    public sealed record Attached(ChannelReader<object> Events, Task<StorageFailed> StorageFailed);
}
