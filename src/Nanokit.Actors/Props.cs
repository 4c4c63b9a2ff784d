using Nanokit.Actors.Supervision;

namespace Nanokit.Actors;

/// <summary>An immutable recipe for creating an actor; reused on every restart.</summary>
public sealed class Props
{
    private Props(Type actorType, Func<ActorBase> factory, SupervisorStrategy? supervisorStrategy)
    {
        ActorType = actorType;
        Factory = factory;
        SupervisorStrategy = supervisorStrategy;
    }

    public Type ActorType { get; }

    /// <summary>Overrides the strategy the actor uses for its children (else its own <c>SupervisorStrategy()</c>).</summary>
    public SupervisorStrategy? SupervisorStrategy { get; }

    internal Func<ActorBase> Factory { get; }

    public static Props Create<T>() where T : ActorBase, new() => new(typeof(T), static () => new T(), null);

    public static Props Create<T>(Func<T> factory) where T : ActorBase
    {
        ArgumentNullException.ThrowIfNull(factory);
        return new Props(typeof(T), factory, null);
    }

    public Props WithSupervisorStrategy(SupervisorStrategy strategy)
    {
        ArgumentNullException.ThrowIfNull(strategy);
        return new Props(ActorType, Factory, strategy);
    }

    public override string ToString() => $"Props({ActorType.Name})";
}
