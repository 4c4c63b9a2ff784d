using System.Runtime.ExceptionServices;
using Microsoft.Extensions.Logging;
using Nanokit.Actors;
using Nanokit.Persistence.Journal;
using Nanokit.Persistence.Snapshots;

namespace Nanokit.Persistence;

/// <summary>
/// An actor whose state is the fold of the events it persisted. On start it recovers
/// (snapshot offer, then the events after it, then <see cref="RecoveryCompleted"/>), then
/// handles commands. <c>Persist</c> queues events; when the command handler returns they are
/// written in one atomic append, and only after the durable write do their handlers run —
/// so a reply sent from a handler acknowledges a durable event. Commands arriving during
/// recovery or a write are stashed and handled afterwards, in arrival order.
///
/// A failed write or recovery stops the actor (it cannot know what the journal holds):
/// put it under a <c>BackoffSupervisor.OnStop</c> so it is recreated and recovers.
/// Journal I/O runs off the actor; results come back as messages stamped with the
/// instance that asked, so a late result never reaches a restarted instance.
/// </summary>
public abstract partial class PersistentActor : ActorBase, IWithStash
{
    private readonly HandlerList _commands = new();
    private readonly HandlerList _recovery = new();
    private readonly PersistenceSettings? _explicitSettings;
    private PersistenceSettings? _settings;
    private ILogger? _logger;
    private string? _persistenceId;
    private List<PendingInvocation> _pending = [];
    private List<PendingInvocation>? _inFlight;
    private bool _recovering = true;
    private bool _asyncCommandRunning;
    private bool _failed;
    private long _lastAssignedSequenceNr;

    /// <param name="settings">Journal and snapshot store to use; null takes those registered with <see cref="Persistence.Register"/>.</param>
    protected PersistentActor(PersistenceSettings? settings = null)
    {
        _explicitSettings = settings?.Validate();
        Self.Tell(new StartRecovery(this), ActorRefs.NoSender);
    }

    /// <summary>Set by the runtime; used to hold commands while recovering or writing.</summary>
    public IStash Stash { get; set; } = null!;

    /// <summary>The stable id of this entity's event stream; one writer per id at a time.</summary>
    public abstract string PersistenceId { get; }

    /// <summary>The sequence number of the last event recovered or durably persisted.</summary>
    public long LastSequenceNr { get; private set; }

    public bool IsRecovering => _recovering;

    /// <summary>Which snapshot recovery starts from (default: the latest).</summary>
    protected virtual SnapshotSelectionCriteria RecoverySnapshotCriteria => SnapshotSelectionCriteria.Latest;

    private PersistenceSettings Settings => _settings ?? throw new InvalidOperationException("persistence is used before recovery started");

    /// <summary>Declares a recovery handler (for events, <see cref="SnapshotOffer"/> and <see cref="RecoveryCompleted"/>); call in the constructor.</summary>
    protected void Recover<T>(Action<T> handler) => _recovery.Add<T>(
        message =>
        {
            handler(message);
            return null;
        },
        null);

    /// <summary>Declares a command handler; call in the constructor.</summary>
    protected void Command<T>(Action<T> handler, Predicate<T>? shouldHandle = null) => _commands.Add(
        message =>
        {
            handler(message);
            return null;
        },
        shouldHandle);

    /// <summary>
    /// Declares an async command handler: no other command is handled until its task completes,
    /// and code after each <c>await</c> runs on the actor. A fault restarts the actor.
    /// </summary>
    protected void CommandAsync<T>(Func<T, Task> handler, Predicate<T>? shouldHandle = null) => _commands.Add(handler, shouldHandle);

    /// <summary>Queues <paramref name="event"/>; <paramref name="handler"/> runs (with this command's sender) once it is durable.</summary>
    protected void Persist<TEvent>(TEvent @event, Action<TEvent> handler, params string[] tags)
        where TEvent : notnull
    {
        ArgumentNullException.ThrowIfNull(@event);
        ArgumentNullException.ThrowIfNull(handler);
        if (_recovering)
        {
            throw new InvalidOperationException("Persist cannot be called while recovering (only from command handlers and RecoveryCompleted)");
        }

        var persistent = new PersistentEvent(PersistenceIdCached, ++_lastAssignedSequenceNr, @event, [.. tags], DateTimeOffset.UtcNow);
        _pending.Add(new PendingInvocation(persistent, e => handler((TEvent)e), Sender));
    }

    /// <summary>Queues several events, written atomically together; the handler runs for each, in order.</summary>
    protected void PersistAll<TEvent>(IEnumerable<TEvent> events, Action<TEvent> handler)
        where TEvent : notnull
    {
        ArgumentNullException.ThrowIfNull(events);
        foreach (var e in events)
        {
            Persist(e, handler);
        }
    }

    /// <summary>Saves <paramref name="snapshot"/> as the state at <see cref="LastSequenceNr"/>; replies <see cref="SaveSnapshotSucceeded"/> or <see cref="SaveSnapshotFailed"/> to the actor.</summary>
    protected void SaveSnapshot(object snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var metadata = new SnapshotMetadata(PersistenceIdCached, LastSequenceNr, DateTimeOffset.UtcNow);
        var (logger, path) = (_logger!, Self.Path);
        InBackground(
            (settings, token) => settings.SnapshotStore.SaveAsync(metadata, snapshot, token),
            () => new SaveSnapshotSucceeded(metadata),
            e =>
            {
                logger.SnapshotFailed(path, metadata.PersistenceId, metadata.SequenceNr, e);
                return new SaveSnapshotFailed(metadata, e);
            });
    }

    /// <summary>Deletes the journal's events up to <paramref name="toSequenceNr"/>; replies <see cref="DeleteMessagesSucceeded"/> or <see cref="DeleteMessagesFailed"/>.</summary>
    protected void DeleteMessages(long toSequenceNr)
    {
        var pid = PersistenceIdCached;
        InBackground(
            (settings, token) => settings.Journal.DeleteToAsync(pid, toSequenceNr, token),
            () => new DeleteMessagesSucceeded(toSequenceNr),
            e => new DeleteMessagesFailed(toSequenceNr, e));
    }

    /// <summary>Deletes this id's snapshots matching <paramref name="criteria"/>; replies <see cref="DeleteSnapshotsSucceeded"/> or <see cref="DeleteSnapshotsFailed"/>.</summary>
    protected void DeleteSnapshots(SnapshotSelectionCriteria criteria)
    {
        ArgumentNullException.ThrowIfNull(criteria);
        var pid = PersistenceIdCached;
        InBackground(
            (settings, token) => settings.SnapshotStore.DeleteAsync(pid, criteria, token),
            () => new DeleteSnapshotsSucceeded(criteria),
            e => new DeleteSnapshotsFailed(criteria, e));
    }

    /// <summary>Runs a store call off the actor thread, bounded by the journal call timeout, and tells the actor how it went.</summary>
    private void InBackground(Func<PersistenceSettings, CancellationToken, Task> call, Func<object> succeeded, Func<Exception, object> failed)
    {
        var (self, settings) = (Self, Settings);
        _ = Task.Run(async () =>
        {
            object outcome;
            try
            {
                using var timeout = new CancellationTokenSource(settings.JournalCallTimeout);
                await call(settings, timeout.Token).ConfigureAwait(false);
                outcome = succeeded();
            }
            catch (Exception e)
            {
                outcome = failed(e);
            }

            self.Tell(outcome, self);
        });
    }

    /// <summary>Called before the actor stops because an append failed; the events were not acknowledged.</summary>
    protected virtual void OnPersistFailure(Exception cause, IReadOnlyList<object> events)
    {
    }

    /// <summary>Called before the actor stops because recovery failed.</summary>
    protected virtual void OnRecoveryFailure(Exception cause)
    {
    }

    protected sealed override bool Receive(object message)
    {
        if (message is PersistenceSignal signal)
        {
            if (ReferenceEquals(signal.Owner, this))
            {
                HandleSignal(signal);
            }

            return true;
        }

        if (_recovering || _inFlight is not null || _asyncCommandRunning || _failed)
        {
            Stash.Stash();
            return true;
        }

        if (!_commands.TryFind(message, out var handler))
        {
            return false;
        }

        RunCommand(handler, message);
        AfterTurn();
        return true;
    }

    private string PersistenceIdCached => _persistenceId ??= PersistenceId;

    private void HandleSignal(PersistenceSignal signal)
    {
        switch (signal)
        {
            case StartRecovery:
                StartRecoveryTask();
                break;
            case RecoverySnapshot or RecoveryPage or RecoveryFinished or RecoveryFailure:
                HandleRecoverySignal(signal);
                break;
            case WriteSucceeded:
                OnWriteSucceeded();
                break;
            case WriteFailed failed:
                OnWriteFailed(failed.Cause);
                break;
            case RunContinuation continuation:
                RunWithContext(() => continuation.Callback(continuation.State));
                AfterTurn();
                break;
            case AsyncCommandCompleted completed:
                _asyncCommandRunning = false;
                if (completed.Error is { } error)
                {
                    // Rethrown so the supervisor sees the handler's failure, as for a synchronous handler.
                    ExceptionDispatchInfo.Capture(error).Throw();
                }

                AfterTurn();
                break;
        }
    }

    private void RunCommand(Func<object, Task?> handler, object message)
    {
        Task? task = null;
        RunWithContext(() => task = handler(message));
        if (task is null)
        {
            return;
        }

        if (task.IsCompleted)
        {
            task.GetAwaiter().GetResult();
            return;
        }

        _asyncCommandRunning = true;
        var (self, owner) = (Self, this);
        task.ContinueWith(
            t => self.Tell(new AsyncCommandCompleted(owner, t.IsFaulted ? t.Exception!.InnerException ?? t.Exception : t.IsCanceled ? new TaskCanceledException(t) : null), ActorRefs.NoSender),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private void RunWithContext(Action action)
    {
        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(new PersistentActorSynchronizationContext(this, Self, Sender));
        try
        {
            action();
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }
    }

    /// <summary>After each turn: write what was persisted, or resume stashed commands once nothing is pending.</summary>
    private void AfterTurn()
    {
        if (_recovering || _failed)
        {
            return;
        }

        if (_inFlight is null && _pending.Count > 0)
        {
            StartWrite();
        }

        if (_inFlight is null && !_asyncCommandRunning && Stash.Count > 0)
        {
            Stash.UnstashAll();
        }
    }

    private void StartWrite()
    {
        _inFlight = _pending;
        _pending = [];
        var events = _inFlight.ConvertAll(p => p.Event);
        var (self, owner, sender, settings) = (Self, this, _inFlight[0].Sender, Settings);
        _ = Task.Run(async () =>
        {
            try
            {
                // No timeout here: a queued append is committed by the writer even if its caller stops waiting,
                // so giving up would stop this actor for a write that succeeds. Under a burst the queue is long
                // but moves; a dead database still fails the batch (driver command and busy timeouts).
                await settings.Journal.AppendAsync(events, CancellationToken.None).ConfigureAwait(false);
                self.Tell(new WriteSucceeded(owner), sender);
            }
            catch (Exception e)
            {
                self.Tell(new WriteFailed(owner, e), sender);
            }
        });
    }

    private void OnWriteSucceeded()
    {
        var written = _inFlight!;
        _inFlight = null;
        foreach (var invocation in written)
        {
            LastSequenceNr = invocation.Event.SequenceNr;
            invocation.Handler(invocation.Event.Payload);
        }

        AfterTurn();
    }

    private void OnWriteFailed(Exception cause)
    {
        var failed = _inFlight!;
        _failed = true;
        _logger!.PersistFailed(Self.Path, PersistenceIdCached, failed[0].Event.SequenceNr, failed[^1].Event.SequenceNr, cause);
        try
        {
            OnPersistFailure(cause, failed.ConvertAll(p => p.Event.Payload));
        }
        finally
        {
            Context.Stop(Self);
        }
    }
}
