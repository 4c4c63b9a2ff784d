using Nanokit.Actors.Scheduling;

namespace Nanokit.Actors.Supervision;

/// <summary>
/// A parent that recreates its single child with exponential backoff and forwards every other
/// message to it (to dead letters while the child is absent).
/// </summary>
public sealed class BackoffSupervisor : ActorBase, IWithTimers
{
    private readonly BackoffOptions _options;
    private readonly SupervisorStrategy _strategy;
    private IActorRef? _child;
    private int _restartCount;
    private bool _childFailed;

    private BackoffSupervisor(BackoffOptions options)
    {
        _options = options;
        _strategy = new OneForOneStrategy(Decide);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(BackoffOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Actors.Props.Create(() => new BackoffSupervisor(options));
    }

    protected override SupervisorStrategy SupervisorStrategy() => _strategy;

    protected override void PreStart() => SpawnChild();

    protected override void PreRestart(Exception reason, object? message)
    {
        // The child is recreated by the fresh instance's PreStart.
        foreach (var child in Context.Children)
        {
            Context.Stop(child);
        }
    }

    protected override bool Receive(object message)
    {
        switch (message)
        {
            case Terminated terminated when ReferenceEquals(terminated.ActorRef, _child):
                OnChildTerminated();
                return true;
            case StartChild:
                SpawnChild();
                return true;
            case ResetRestartCount reset:
                if (reset.Current == _restartCount)
                {
                    _restartCount = 0;
                }

                return true;
            case GetCurrentChild:
                Sender.Tell(new CurrentChild(_child), Self);
                return true;
            case GetRestartCount:
                Sender.Tell(new RestartCount(_restartCount), Self);
                return true;
            case Reset:
                _restartCount = 0;
                return true;
            default:
                if (_child is { } child)
                {
                    child.Forward(message);
                }
                else
                {
                    Context.System.DeadLetters.Tell(new DeadLetter(message, Sender, Self), Sender);
                }

                return true;
        }
    }

    private Directive Decide(Exception cause)
    {
        var directive = _options.Decider(cause);
        if (_options.IsOnFailure && directive == Directive.Restart)
        {
            _childFailed = true;
            return Directive.Stop;
        }

        return directive;
    }

    private void SpawnChild()
    {
        if (_child is not null)
        {
            return;
        }

        _childFailed = false;
        _child = Context.Watch(Context.ActorOf(_options.ChildProps, _options.ChildName));
        Timers.StartSingleTimer(ResetKey.Instance, new ResetRestartCount(_restartCount), _options.ResetBackoff);
    }

    private void OnChildTerminated()
    {
        _child = null;
        Timers.Cancel(ResetKey.Instance);
        if (_options.IsOnFailure && !_childFailed)
        {
            Context.Stop(Self);
            return;
        }

        if (_options.MaxNrOfRetries >= 0 && _restartCount >= _options.MaxNrOfRetries)
        {
            Context.Stop(Self);
            return;
        }

        var delay = _options.Delay(_restartCount, Random.Shared.NextDouble());
        _restartCount++;
        Timers.StartSingleTimer(StartChildKey.Instance, StartChild.Instance, delay);
    }

    /// <summary>Asks for the current child; the reply is <see cref="CurrentChild"/>.</summary>
    public sealed record GetCurrentChild
    {
        public static GetCurrentChild Instance { get; } = new();
    }

    public sealed record CurrentChild(IActorRef? Ref);

    /// <summary>Asks for the number of restarts since the last reset; the reply is <see cref="RestartCount"/>.</summary>
    public sealed record GetRestartCount
    {
        public static GetRestartCount Instance { get; } = new();
    }

    public sealed record RestartCount(int Count);

    /// <summary>Resets the restart count, so the next restart waits minBackoff.</summary>
    public sealed record Reset
    {
        public static Reset Instance { get; } = new();
    }

    private sealed record StartChild
    {
        public static StartChild Instance { get; } = new();
    }

    private sealed record ResetRestartCount(int Current);

    private sealed record StartChildKey
    {
        public static StartChildKey Instance { get; } = new();
    }

    private sealed record ResetKey
    {
        public static ResetKey Instance { get; } = new();
    }
}
