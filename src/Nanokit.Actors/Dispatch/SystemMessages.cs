namespace Nanokit.Actors.Dispatch;

/// <summary>
/// Runtime control messages, processed before any user message. Each instance is a node of
/// an intrusive list, so it must be sent to exactly one cell.
/// </summary>
internal abstract class SystemMessage
{
    internal SystemMessage? Next;
}

internal sealed class Create : SystemMessage;

internal sealed class Recreate(Exception cause) : SystemMessage
{
    public Exception Cause { get; } = cause;
}

internal sealed class Suspend : SystemMessage;

internal sealed class Resume(bool causedByFailure) : SystemMessage
{
    public bool CausedByFailure { get; } = causedByFailure;
}

internal sealed class Terminate : SystemMessage;

internal sealed class Watch(IActorRef watcher) : SystemMessage
{
    public IActorRef Watcher { get; } = watcher;
}

internal sealed class Unwatch(IActorRef watcher) : SystemMessage
{
    public IActorRef Watcher { get; } = watcher;
}

/// <summary>Sent by a stopped actor to its parent and to every watcher.</summary>
internal sealed class DeathWatchNotification(ActorCell actor) : SystemMessage
{
    public ActorCell Actor { get; } = actor;
}

/// <summary>A child reports a failure to its parent, which applies its supervisor strategy.</summary>
internal sealed class Failed(ActorCell child, Exception cause) : SystemMessage
{
    public ActorCell Child { get; } = child;

    public Exception Cause { get; } = cause;
}

/// <summary>A continuation of a ReceiveAsync handler, run inside the actor.</summary>
internal sealed class TaskContinuation(ActorSynchronizationContext context, SendOrPostCallback callback, object? state)
    : SystemMessage
{
    public ActorSynchronizationContext Context { get; } = context;

    public SendOrPostCallback Callback { get; } = callback;

    public object? State { get; } = state;
}

/// <summary>The task of a ReceiveAsync handler finished; user messages flow again.</summary>
internal sealed class TaskCompleted(ActorSynchronizationContext context, Exception? error) : SystemMessage
{
    public ActorSynchronizationContext Context { get; } = context;

    public Exception? Error { get; } = error;
}

/// <summary>A lock-free LIFO push list; the consumer takes everything and reverses it to FIFO.</summary>
internal struct SystemMessageQueue
{
    private SystemMessage? _head;

    public void Push(SystemMessage message)
    {
        var head = Volatile.Read(ref _head);
        while (true)
        {
            message.Next = head;
            var observed = Interlocked.CompareExchange(ref _head, message, head);
            if (ReferenceEquals(observed, head))
            {
                return;
            }

            head = observed;
        }
    }

    public readonly bool HasMessages => Volatile.Read(ref System.Runtime.CompilerServices.Unsafe.AsRef(in _head)) is not null;

    /// <summary>Consumer only: all pending messages, oldest first.</summary>
    public SystemMessage? TakeAll()
    {
        var list = Interlocked.Exchange(ref _head, null);
        SystemMessage? reversed = null;
        while (list is not null)
        {
            var next = list.Next;
            list.Next = reversed;
            reversed = list;
            list = next;
        }

        return reversed;
    }
}
