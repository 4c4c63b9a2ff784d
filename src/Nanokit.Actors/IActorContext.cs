namespace Nanokit.Actors;

/// <summary>A behaviour: returns false for a message it does not handle.</summary>
public delegate bool Receive(object message);

/// <summary>What an actor may do to itself and its children; only valid on the actor's own thread.</summary>
public interface IActorContext
{
    IActorRef Self { get; }

    /// <summary>The sender of the message being processed (dead letters when there is none).</summary>
    IActorRef Sender { get; }

    IActorRef Parent { get; }

    IReadOnlyCollection<IActorRef> Children { get; }

    ActorSystem System { get; }

    TimeSpan? ReceiveTimeout { get; }

    /// <summary>The child with this name, or null.</summary>
    IActorRef? Child(string name);

    IActorRef ActorOf(Props props, string? name = null);

    /// <summary>Stops the actor asynchronously: after its current message, children first.</summary>
    void Stop(IActorRef actor);

    /// <summary>Delivers <see cref="Terminated"/> when <paramref name="subject"/> stops, at once if it is dead already.</summary>
    IActorRef Watch(IActorRef subject);

    IActorRef Unwatch(IActorRef subject);

    /// <summary>Replaces the current behaviour.</summary>
    void Become(Receive receive);

    /// <summary>Pushes a behaviour; <see cref="Unbecome"/> returns to the previous one.</summary>
    void BecomeStacked(Receive receive);

    void Unbecome();

    /// <summary>Sends <see cref="Nanokit.Actors.ReceiveTimeout"/> after this long without messages; null turns it off.</summary>
    void SetReceiveTimeout(TimeSpan? timeout);
}
