namespace Nanokit.Actors;

/// <summary>An immutable, thread-safe handle to an actor: the only way to talk to it.</summary>
public interface IActorRef
{
    ActorPath Path { get; }

    /// <summary>Enqueues <paramref name="message"/>; never blocks, never throws for a dead target (it becomes a dead letter).</summary>
    void Tell(object message, IActorRef? sender);
}

public static class ActorRefs
{
    /// <summary>The sender of a message sent from outside any actor; replies to it become dead letters.</summary>
    public static readonly IActorRef? NoSender = null;
}

public static class ActorRefImplicitSenderExtensions
{
    /// <summary>Sends with the current actor (or the test actor inside a TestKit) as the sender.</summary>
    public static void Tell(this IActorRef receiver, object message) =>
        receiver.Tell(message, ActorCell.ImplicitSender);

    /// <summary>Sends keeping the original sender of the message being processed.</summary>
    public static void Forward(this IActorRef receiver, object message) =>
        receiver.Tell(message, ActorCell.Current?.CurrentSender);
}
