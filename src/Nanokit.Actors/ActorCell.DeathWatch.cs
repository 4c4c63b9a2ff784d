using Nanokit.Actors.Dispatch;

namespace Nanokit.Actors;

internal sealed partial class ActorCell
{
    public IActorRef Watch(IActorRef subject)
    {
        ArgumentNullException.ThrowIfNull(subject);
        if (ReferenceEquals(subject, this))
        {
            return subject;
        }

        var watching = Extras.Watching ??= new HashSet<IActorRef>(ReferenceEqualityComparer.Instance);
        if (watching.Add(subject) && subject is ActorCell cell)
        {
            cell.SendSystemMessage(new Watch(this));
        }

        return subject;
    }

    public IActorRef Unwatch(IActorRef subject)
    {
        ArgumentNullException.ThrowIfNull(subject);
        if (_extras is { } extras && extras.Watching?.Remove(subject) == true)
        {
            extras.TerminatedQueued?.Remove(subject);
            if (subject is ActorCell cell)
            {
                cell.SendSystemMessage(new Unwatch(this));
            }
        }

        return subject;
    }

    private void AddWatcher(IActorRef watcher)
    {
        if (!ReferenceEquals(watcher, this))
        {
            (Extras.Watchers ??= new HashSet<IActorRef>(ReferenceEqualityComparer.Instance)).Add(watcher);
        }
    }

    private void RemoveWatcher(IActorRef watcher) => _extras?.Watchers?.Remove(watcher);

    /// <summary>Tells one watcher that this actor is dead: a system message to a cell, a Terminated to anything else.</summary>
    private void NotifyWatcher(IActorRef watcher)
    {
        if (watcher is ActorCell cell)
        {
            cell.SendSystemMessage(new DeathWatchNotification(this));
        }
        else
        {
            watcher.Tell(new Terminated(this), this);
        }
    }

    private void TellWatchersAndUnwatchAll(CellExtras extras)
    {
        if (extras.Watchers is { } watchers)
        {
            foreach (var watcher in watchers)
            {
                if (!ReferenceEquals(watcher, _parent))
                {
                    NotifyWatcher(watcher);
                }
            }

            extras.Watchers = null;
        }

        if (extras.Watching is { } watching)
        {
            foreach (var subject in watching)
            {
                if (subject is ActorCell cell)
                {
                    cell.SendSystemMessage(new Unwatch(this));
                }
            }

            extras.Watching = null;
        }
    }

    private void HandleDeathWatchNotification(ActorCell actor)
    {
        var wasChild = ReferenceEquals(actor._parent, this);
        if (wasChild)
        {
            RemoveChild(actor);
        }

        if (_extras?.Watching is { } watching && watching.Contains(actor) && !IsTerminating)
        {
            // Queued behind the messages the dead actor sent before dying, as Akka does.
            (_extras.TerminatedQueued ??= new HashSet<IActorRef>(ReferenceEqualityComparer.Instance)).Add(actor);
            _mailbox.Enqueue(new TerminatedQueued(actor), actor);
        }

        if (!wasChild)
        {
            return;
        }

        if (_parent is null)
        {
            _system.OnGuardianTerminated(actor);
        }

        if ((_flags & CellFlags.Terminating) != 0)
        {
            if (!HasChildren)
            {
                FinishTerminate();
            }
        }
        else if ((_flags & CellFlags.Recreating) != 0 && !HasChildrenBeingStopped())
        {
            FinishRecreate(_extras!.PendingRecreateCause!);
        }
    }

    private void DeliverTerminated(IActorRef actor)
    {
        if (_extras is not { } extras || extras.TerminatedQueued?.Remove(actor) != true)
        {
            return;
        }

        extras.Watching?.Remove(actor);
        var terminated = new Terminated(actor);
        _currentMessage = terminated;
        ReceiveMessage(terminated);
    }
}

/// <summary>Carries a watched actor's death through the mailbox, behind its last messages.</summary>
internal sealed record TerminatedQueued(IActorRef Actor) : IAutoReceivedMessage;
