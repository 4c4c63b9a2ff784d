using Nanokit.Actors.Dispatch;
using Nanokit.Actors.Logging;
using Nanokit.Actors.Supervision;

namespace Nanokit.Actors;

internal sealed partial class ActorCell
{
    private void HandleCreate()
    {
        try
        {
            var actor = NewActor();
            actor.PreStartInternal();
        }
        catch (Exception ex)
        {
            HandleInvokeFailure(new ActorInitializationException(this, $"Exception while creating actor {Path}", ex), null);
        }
    }

    private ActorBase NewActor()
    {
        _behavior = null;
        _extras?.BehaviorStack?.Clear();
        var actor = _props.Factory() ?? throw new InvalidOperationException($"{_props} produced no actor.");
        if (!ReferenceEquals(actor.Cell, this))
        {
            throw new InvalidOperationException($"{_props} must create a new actor instance each time.");
        }

        actor.AfterConstruction();
        if (actor is IWithStash withStash)
        {
            withStash.Stash = Extras.Stash ??= new StashImpl(this);
        }

        if (actor is Scheduling.IWithTimers withTimers)
        {
            withTimers.Timers = Extras.Timers ??= new Scheduling.TimerScheduler(this);
        }

        _actor = actor;
        return actor;
    }

    /// <summary>A user-level failure: suspend, and let the parent decide.</summary>
    private void HandleInvokeFailure(Exception cause, object? message)
    {
        if ((_flags & CellFlags.Failed) != 0 || IsTerminating)
        {
            _system.Log.ActorFailed(Path, cause);
            return;
        }

        _flags = (_flags | CellFlags.Failed) & ~CellFlags.AwaitingTask;
        Extras.FailedMessage = message;
        _suspendCount++;
        SendToChildren(static () => new Suspend());
        if (_parent is null)
        {
            _system.Log.ActorFailed(Path, cause);
            HandleTerminate();
            return;
        }

        _parent.SendSystemMessage(new Failed(this, cause));
    }

    private void HandleSuspend()
    {
        _suspendCount++;
        SendToChildren(static () => new Suspend());
    }

    private void HandleResume(bool causedByFailure)
    {
        if (_suspendCount > 0)
        {
            _suspendCount--;
        }

        if (causedByFailure)
        {
            _flags &= ~CellFlags.Failed;
            if (_extras is { } extras)
            {
                extras.FailedMessage = null;
            }
        }

        SendToChildren(static () => new Resume(false));
    }

    private void HandleChildFailed(ActorCell child, Exception cause)
    {
        if (IsTerminating || !IsChild(child) || child._stopRequestedByParent)
        {
            return;
        }

        var strategy = _props.SupervisorStrategy ?? _actor?.SupervisorStrategyInternal() ?? SupervisorStrategy.DefaultStrategy;
        Directive directive;
        try
        {
            directive = strategy.Decider(cause);
        }
        catch (Exception deciderFailure)
        {
            _system.Log.ActorFailed(Path, deciderFailure);
            directive = Directive.Escalate;
        }

        if (directive != Directive.Escalate && strategy.LoggingEnabled)
        {
            _system.Log.ChildFailed(child.Path, directive, cause);
        }

        switch (directive)
        {
            case Directive.Resume:
                child.SendSystemMessage(new Resume(true));
                break;
            case Directive.Restart:
                strategy.Restart(this, child, cause);
                break;
            case Directive.Stop:
                strategy.StopChildren(this, child);
                break;
            default:
                HandleInvokeFailure(cause, null);
                break;
        }
    }

    internal IReadOnlyList<ActorCell> ChildrenForSupervision() => ChildSnapshot();

    internal RestartStatistics RestartStatisticsOf(ActorCell child) =>
        (Extras.ChildStats ??= new Dictionary<ActorCell, RestartStatistics>(ReferenceEqualityComparer.Instance))
            .TryGetValue(child, out var stats)
            ? stats
            : Extras.ChildStats[child] = new RestartStatistics();

    internal void RestartChild(ActorCell child, Exception cause, bool suspendFirst)
    {
        if (suspendFirst)
        {
            child.SendSystemMessage(new Suspend());
        }

        child.SendSystemMessage(new Recreate(cause));
    }

    internal void StopChild(ActorCell child)
    {
        child._stopRequestedByParent = true;
        child.SendSystemMessage(new Terminate());
    }

    private void HandleRecreate(Exception cause)
    {
        if (IsTerminating)
        {
            return;
        }

        if (_actor is null)
        {
            // Failed in its constructor: a restart is a fresh creation.
            FinishRecreate(cause);
            return;
        }

        var failed = _actor;
        var failedMessage = _extras?.FailedMessage;
        CancelTimersAndReceiveTimeout();
        try
        {
            failed.PreRestartInternal(cause, failedMessage);
        }
        catch (Exception ex)
        {
            _system.Log.ActorFailed(Path, ex);
        }

        _extras?.Stash?.PrependAllToMailbox();
        if (_extras is { } extras)
        {
            // The fresh instance sets its own receive timeout, as it does on first start.
            extras.ReceiveTimeout = null;
        }

        if (HasChildrenBeingStopped())
        {
            _flags |= CellFlags.Recreating;
            Extras.PendingRecreateCause = cause;
            return;
        }

        FinishRecreate(cause);
    }

    private void FinishRecreate(Exception cause)
    {
        var survivors = ChildSnapshot();
        _flags &= ~(CellFlags.Recreating | CellFlags.Failed);
        if (_extras is { } extras)
        {
            extras.FailedMessage = null;
            extras.PendingRecreateCause = null;
            extras.PendingTask = null;
        }

        if (_suspendCount > 0)
        {
            _suspendCount--;
        }

        _actor = null;
        try
        {
            var fresh = NewActor();
            fresh.PostRestartInternal(cause);
            if (_extras?.ReceiveTimeout is not null)
            {
                RearmReceiveTimeout();
            }

            foreach (var child in survivors)
            {
                RestartChild(child, cause, suspendFirst: false);
            }
        }
        catch (Exception ex)
        {
            HandleInvokeFailure(new ActorInitializationException(this, $"Exception while restarting actor {Path}", ex), null);
        }
    }

    private void HandleTerminate()
    {
        if (IsTerminating)
        {
            return;
        }

        _flags |= CellFlags.Terminating;
        CancelTimersAndReceiveTimeout();
        if (_parent is null)
        {
            // The root stops the user guardian first, the system guardian after it (see DeathWatch).
            _system.StopUserGuardian();
            CloseChildren();
        }
        else
        {
            StopAllChildren(closeForNewChildren: true);
        }

        if (!HasChildren)
        {
            FinishTerminate();
        }
    }

    private void CloseChildren()
    {
        if (_children is { } container)
        {
            lock (container)
            {
                container.Closed = true;
            }
        }
    }

    private void FinishTerminate()
    {
        var actor = _actor;
        try
        {
            actor?.PostStopInternal();
        }
        catch (Exception ex)
        {
            _system.Log.ActorFailed(Path, ex);
        }

        _flags = (_flags & ~CellFlags.Terminating) | CellFlags.Terminated;
        Interlocked.Or(ref _status, ClosedBit);
        if (_extras is { } extras)
        {
            extras.Stash?.DrainToDeadLetters();
            DrainToDeadLetters();
            TellWatchersAndUnwatchAll(extras);
        }
        else
        {
            DrainToDeadLetters();
        }

        _parent?.SendSystemMessage(new DeathWatchNotification(this));
        _system.EventStream.Unsubscribe(this);
        _actor = null;
        _behavior = null;
        _extras = null;
        if (_parent is null)
        {
            _system.OnRootTerminated();
        }
    }

    private void CancelTimersAndReceiveTimeout()
    {
        if (_extras is not { } extras)
        {
            return;
        }

        extras.Timers?.CancelAll();
        extras.ReceiveTimeoutTimer?.Dispose();
        extras.ReceiveTimeoutTimer = null;
        extras.ReceiveTimeoutGeneration++;
    }
}
