using Microsoft.Extensions.Logging;
using Nanokit.Actors.Dispatch;
using Nanokit.Actors.Scheduling;
using Nanokit.Actors.Supervision;

namespace Nanokit.Actors;

/// <summary>
/// A hierarchy of actors: the root guardian with <c>/user</c> (actors created by
/// <see cref="ActorOf"/>) and <c>/system</c> (runtime and plugin actors, stopped after /user).
/// </summary>
public sealed class ActorSystem : IDisposable
{
    private readonly ActorCell _root;
    private readonly ActorCell _userGuardian;
    private readonly ActorCell _systemGuardian;
    private readonly DeadLetterActorRef _deadLetters;
    private readonly TaskCompletionSource _terminated = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ActorSystem(string name, ActorSystemSettings settings)
    {
        Name = name;
        Settings = settings;
        Log = settings.LoggerFactory.CreateLogger("Nanokit.Actors");
        EventStream = new EventStream();
        Scheduler = new TimerBasedScheduler(settings.TimeProvider);
        _deadLetters = new DeadLetterActorRef(this, Log);
        var guardian = Props.Create<GuardianActor>();
        _root = new ActorCell(this, null, name, guardian.WithSupervisorStrategy(SupervisorStrategy.StoppingStrategy));
        _root.SendSystemMessage(new Create());
        _userGuardian = _root.AttachChild(guardian, "user");
        _systemGuardian = _root.AttachChild(guardian, "system");
    }

    public string Name { get; }

    public ActorSystemSettings Settings { get; }

    public EventStream EventStream { get; }

    public IScheduler Scheduler { get; }

    public IActorRef DeadLetters => _deadLetters;

    /// <summary>Messages that could not be delivered since the system started (for metrics).</summary>
    public long DeadLetterCount => _deadLetters.Count;

    /// <summary>Completes when every actor has stopped.</summary>
    public Task WhenTerminated => _terminated.Task;

    internal ILogger Log { get; }

    public static ActorSystem Create(string name, ActorSystemSettings? settings = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (!name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            throw new ArgumentException($"Invalid actor system name [{name}]: use letters, digits, '-' and '_'.", nameof(name));
        }

        return new ActorSystem(name, (settings ?? ActorSystemSettings.Default).Validate());
    }

    /// <summary>Creates a top-level actor under /user; thread-safe.</summary>
    public IActorRef ActorOf(Props props, string? name = null) => _userGuardian.AttachChild(props, name);

    /// <summary>Creates an actor under /system, which outlives every /user actor during termination.</summary>
    public IActorRef SystemActorOf(Props props, string? name = null) => _systemGuardian.AttachChild(props, name);

    public void Stop(IActorRef actor)
    {
        if (actor is ActorCell cell)
        {
            cell.SendSystemMessage(new Terminate());
        }
    }

    /// <summary>Stops every actor, children before parents, /user before /system.</summary>
    public Task Terminate()
    {
        _root.SendSystemMessage(new Terminate());
        return WhenTerminated;
    }

    public void Dispose() => Terminate();

    public override string ToString() => $"ActorSystem({Name})";

    internal void StopUserGuardian() => _userGuardian.SendSystemMessage(new Terminate());

    internal void OnGuardianTerminated(ActorCell guardian)
    {
        if (ReferenceEquals(guardian, _userGuardian))
        {
            _systemGuardian.SendSystemMessage(new Terminate());
        }

        _root.SendSystemMessage(new Terminate());
    }

    internal void OnRootTerminated() => _terminated.TrySetResult();
}
