namespace Nanokit.Actors;

/// <summary>Messages handled by the runtime itself before the actor's behaviour sees them.</summary>
internal interface IAutoReceivedMessage;

/// <summary>Marks a message that does not reset the receive timeout.</summary>
public interface INotInfluenceReceiveTimeout;

/// <summary>Stops the actor after the messages enqueued before it have been processed.</summary>
public sealed record PoisonPill : IAutoReceivedMessage
{
    public static PoisonPill Instance { get; } = new();
}

/// <summary>Makes the actor throw <see cref="ActorKilledException"/>, handled by its supervisor (stop by default).</summary>
public sealed record Kill : IAutoReceivedMessage
{
    public static Kill Instance { get; } = new();
}

/// <summary>Sent to a watcher when a watched actor has stopped (also when it was already dead).</summary>
public sealed record Terminated(IActorRef ActorRef);

/// <summary>Sent when no message arrived within the duration set by <c>Context.SetReceiveTimeout</c>.</summary>
public sealed record ReceiveTimeout : INotInfluenceReceiveTimeout
{
    public static ReceiveTimeout Instance { get; } = new();
}

/// <summary>Conventional replies; a <see cref="Failure"/> reply faults an Ask.</summary>
public static class Status
{
    public sealed record Success(object? Status);

    public sealed record Failure(Exception Cause);
}

/// <summary>Published on the event stream for a message whose recipient was dead or absent.</summary>
public sealed record DeadLetter(object Message, IActorRef? Sender, IActorRef Recipient);

/// <summary>Published on the event stream for a message no behaviour handled.</summary>
public sealed record UnhandledMessage(object Message, IActorRef? Sender, IActorRef Recipient);
