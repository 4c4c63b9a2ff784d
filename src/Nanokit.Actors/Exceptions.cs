namespace Nanokit.Actors;

public class ActorException : Exception
{
    public ActorException(string message) : base(message) { }

    public ActorException(string message, Exception? inner) : base(message, inner) { }
}

/// <summary>Thrown inside an actor that received <see cref="Kill"/>.</summary>
public sealed class ActorKilledException(string message) : ActorException(message);

/// <summary>The actor's constructor, PreStart or PostRestart failed; the default decider stops it.</summary>
public sealed class ActorInitializationException(IActorRef actor, string message, Exception? inner)
    : ActorException(message, inner)
{
    public IActorRef Actor { get; } = actor;
}

/// <summary>An actor did not handle the <see cref="Terminated"/> of an actor it watched.</summary>
public sealed class DeathPactException(IActorRef deadActor)
    : ActorException($"Monitored actor [{deadActor.Path}] terminated")
{
    public IActorRef DeadActor { get; } = deadActor;
}

public sealed class InvalidActorNameException(string message) : ActorException(message);

/// <summary>An Ask got no reply within its timeout.</summary>
public sealed class AskTimeoutException(string message) : TimeoutException(message);
