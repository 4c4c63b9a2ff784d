// Design note: the cell is the actor's reference, mailbox and context in one object, so an
// idle actor costs one cell, one stub node and its actor instance. It is scheduled on the
// .NET thread pool as an IThreadPoolWorkItem; the Scheduled bit of _status (set with one
// CAS by whoever enqueues first) guarantees it runs on at most one thread at a time. A run
// drains system messages, then up to Throughput user messages, re-checking system messages
// after each one. Everything else is lazily allocated in CellExtras.
using Nanokit.Actors.Dispatch;
using Nanokit.Actors.Logging;

namespace Nanokit.Actors;

internal sealed partial class ActorCell : IActorRef, IActorContext, IThreadPoolWorkItem
{
    private const int ScheduledBit = 1;
    private const int ClosedBit = 2;

    [ThreadStatic]
    private static ActorCell? t_current;

    private static readonly AsyncLocal<IActorRef?> s_implicitSender = new();

    private readonly ActorSystem _system;
    private readonly ActorCell? _parent;
    private readonly string _name;
    private readonly Props _props;
    private ActorPath? _path;
    private ActorBase? _actor;
    private MessageQueue _mailbox = new();
    private SystemMessageQueue _systemMessages;
    private int _status;
    private int _suspendCount;
    private CellFlags _flags;

    // Written and read only by the parent's thread (a restart waits for the children it stops).
    private bool _stopRequestedByParent;
    private object? _currentMessage;
    private IActorRef? _currentSender;
    private Receive? _behavior;
    private ChildrenContainer? _children;
    private CellExtras? _extras;

    internal ActorCell(ActorSystem system, ActorCell? parent, string name, Props props)
    {
        _system = system;
        _parent = parent;
        _name = name;
        _props = props;
    }

    [Flags]
    private enum CellFlags
    {
        None = 0,
        Terminating = 1,
        Terminated = 2,
        AwaitingTask = 4,
        Recreating = 8,
        Failed = 16,
    }

    /// <summary>The cell whose actor is running on this thread.</summary>
    internal static ActorCell? Current => t_current;

    /// <summary>The sender used by <c>Tell(message)</c>: the running actor, else the ambient test actor.</summary>
    internal static IActorRef? ImplicitSender => t_current ?? s_implicitSender.Value;

    /// <summary>Set by the TestKit so that tests send as their TestActor.</summary>
    internal static void SetAmbientSender(IActorRef? sender) => s_implicitSender.Value = sender;

    public ActorPath Path => _path ??= _parent is null ? ActorPath.Root(_name) : _parent.Path.Child(_name);

    public IActorRef Self => this;

    public IActorRef Sender => _currentSender ?? _system.DeadLetters;

    public IActorRef Parent => (IActorRef?)_parent ?? this;

    public ActorSystem System => _system;

    internal string Name => _name;

    internal IActorRef? CurrentSender => _currentSender;

    internal ActorBase? Actor => _actor;

    internal bool IsTerminated => (Volatile.Read(ref _status) & ClosedBit) != 0;

    private bool IsTerminating => (_flags & (CellFlags.Terminating | CellFlags.Terminated)) != 0;

    private bool CanProcessUserMessages =>
        _suspendCount == 0
        && (_flags & (CellFlags.Terminating | CellFlags.Terminated | CellFlags.AwaitingTask | CellFlags.Recreating | CellFlags.Failed)) == 0
        && _actor is not null;

    private CellExtras Extras => _extras ??= new CellExtras();

    public void Tell(object message, IActorRef? sender)
    {
        ArgumentNullException.ThrowIfNull(message);
        if ((Volatile.Read(ref _status) & ClosedBit) != 0)
        {
            _system.DeadLetters.Tell(new DeadLetter(message, sender, this), sender);
            return;
        }

        _mailbox.Enqueue(message, sender);
        ScheduleIfIdle();
    }

    internal void SendSystemMessage(SystemMessage message)
    {
        _systemMessages.Push(message);
        ScheduleIfIdle();
    }

    private void ScheduleIfIdle()
    {
        var status = Volatile.Read(ref _status);
        while ((status & ScheduledBit) == 0)
        {
            var observed = Interlocked.CompareExchange(ref _status, status | ScheduledBit, status);
            if (observed == status)
            {
                ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
                return;
            }

            status = observed;
        }
    }

    /// <summary>One turn of the actor on a pool thread.</summary>
    public void Execute()
    {
        var previous = t_current;
        t_current = this;
        try
        {
            ProcessSystemMessages();
            if (CanProcessUserMessages)
            {
                ProcessUserMessages();
            }
            else if (IsTerminated)
            {
                DrainToDeadLetters();
            }
        }
        finally
        {
            t_current = previous;
            Interlocked.And(ref _status, ~ScheduledBit);
            if (_systemMessages.HasMessages
                || ((CanProcessUserMessages || IsTerminated) && (_mailbox.HasMessages || HasPrepended)))
            {
                ScheduleIfIdle();
            }
        }
    }

    private void ProcessUserMessages()
    {
        var left = _system.Settings.Throughput;
        while (TryDequeue(out var message, out var sender))
        {
            Invoke(message, sender);
            if (_systemMessages.HasMessages)
            {
                ProcessSystemMessages();
            }

            if (--left == 0 || !CanProcessUserMessages)
            {
                return;
            }
        }
    }

    private bool HasPrepended => _extras?.Prepended is { Count: > 0 };

    private bool TryDequeue(out object message, out IActorRef? sender)
    {
        if (_extras?.Prepended is { Count: > 0 } prepended)
        {
            (message, sender) = prepended.Dequeue();
            return true;
        }

        return _mailbox.TryDequeue(out message, out sender);
    }

    private void ProcessSystemMessages()
    {
        var message = _systemMessages.TakeAll();
        while (message is not null)
        {
            var next = message.Next;
            message.Next = null;
            ProcessSystemMessage(message);
            message = next ?? _systemMessages.TakeAll();
        }
    }

    private void ProcessSystemMessage(SystemMessage message)
    {
        if (IsTerminated)
        {
            if (message is Watch watch)
            {
                NotifyWatcher(watch.Watcher);
            }

            return;
        }

        try
        {
            switch (message)
            {
                case Create: HandleCreate(); break;
                case Recreate recreate: HandleRecreate(recreate.Cause); break;
                case Suspend: HandleSuspend(); break;
                case Resume resume: HandleResume(resume.CausedByFailure); break;
                case Terminate: HandleTerminate(); break;
                case Watch watch: AddWatcher(watch.Watcher); break;
                case Unwatch unwatch: RemoveWatcher(unwatch.Watcher); break;
                case DeathWatchNotification notification: HandleDeathWatchNotification(notification.Actor); break;
                case Failed failed: HandleChildFailed(failed.Child, failed.Cause); break;
                case TaskContinuation continuation: RunContinuation(continuation); break;
                case TaskCompleted completed: HandleTaskCompleted(completed); break;
            }
        }
        catch (Exception ex)
        {
            _system.Log.SystemMessageFailed(Path, message.GetType().Name, ex);
        }
    }

    private void Invoke(object message, IActorRef? sender)
    {
        _currentMessage = message;
        _currentSender = sender;
        try
        {
            if (message is IAutoReceivedMessage)
            {
                HandleAutoReceived(message);
            }
            else
            {
                ReceiveMessage(message);
            }
        }
        catch (Exception ex)
        {
            HandleInvokeFailure(ex, message);
        }
        finally
        {
            _currentMessage = null;
            _currentSender = null;
        }

        if (_extras?.ReceiveTimeout is not null && message is not INotInfluenceReceiveTimeout && !IsTerminating)
        {
            RearmReceiveTimeout();
        }
    }

    private void ReceiveMessage(object message)
    {
        var actor = _actor!;
        var handled = _behavior is { } behavior ? behavior(message) : actor.ReceiveInternal(message);
        if (!handled)
        {
            actor.UnhandledInternal(message);
        }
    }

    private void HandleAutoReceived(object message)
    {
        switch (message)
        {
            case PoisonPill:
                HandleTerminate();
                break;
            case Kill:
                throw new ActorKilledException("Kill");
            case TerminatedQueued queued:
                DeliverTerminated(queued.Actor);
                break;
            case ReceiveTimeoutTick tick:
                HandleReceiveTimeoutTick(tick);
                break;
            case Scheduling.TimerFired fired:
                if (_extras?.Timers is { } timers && timers.Accept(fired))
                {
                    _currentMessage = fired.Message;
                    ReceiveMessage(fired.Message);
                }

                break;
        }
    }

    private void DrainToDeadLetters()
    {
        while (TryDequeue(out var message, out var sender))
        {
            SendToDeadLetters(message, sender);
        }
    }

    private void SendToDeadLetters(object message, IActorRef? sender)
    {
        if (message is not IAutoReceivedMessage || message is PoisonPill || message is Kill)
        {
            _system.DeadLetters.Tell(new DeadLetter(message, sender, this), sender);
        }
    }

    public override string ToString() => $"[{Path}]";
}
