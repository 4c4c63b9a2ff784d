using Nanokit.Actors.Dispatch;
using Nanokit.Actors.Supervision;

namespace Nanokit.Actors;

/// <summary>State most actors never need; allocated on first use so an idle actor stays small.</summary>
internal sealed class CellExtras
{
    public HashSet<IActorRef>? Watching;
    public HashSet<IActorRef>? Watchers;
    public HashSet<IActorRef>? TerminatedQueued;
    public List<Receive>? BehaviorStack;
    public Queue<(object Message, IActorRef? Sender)>? Prepended;
    public StashImpl? Stash;
    public Scheduling.TimerScheduler? Timers;
    public TimeSpan? ReceiveTimeout;
    public ITimer? ReceiveTimeoutTimer;
    public int ReceiveTimeoutGeneration;
    public object? FailedMessage;
    public Exception? PendingRecreateCause;
    public ActorSynchronizationContext? PendingTask;
    public Dictionary<ActorCell, RestartStatistics>? ChildStats;
}

internal sealed record ReceiveTimeoutTick(int Generation) : IAutoReceivedMessage, INotInfluenceReceiveTimeout;

internal sealed partial class ActorCell
{
    public TimeSpan? ReceiveTimeout => _extras?.ReceiveTimeout;

    internal object? CurrentMessage => _currentMessage;

    public void Become(Receive receive)
    {
        ArgumentNullException.ThrowIfNull(receive);
        var stack = Extras.BehaviorStack ??= [];
        if (stack.Count == 0)
        {
            stack.Add(receive);
        }
        else
        {
            stack[^1] = receive;
        }

        _behavior = receive;
    }

    public void BecomeStacked(Receive receive)
    {
        ArgumentNullException.ThrowIfNull(receive);
        (Extras.BehaviorStack ??= []).Add(receive);
        _behavior = receive;
    }

    public void Unbecome()
    {
        if (_extras?.BehaviorStack is not { Count: > 0 } stack)
        {
            return;
        }

        stack.RemoveAt(stack.Count - 1);
        _behavior = stack.Count > 0 ? stack[^1] : null;
    }

    public void SetReceiveTimeout(TimeSpan? timeout)
    {
        if (timeout is { } value && value <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), "A receive timeout must be positive (or null to turn it off).");
        }

        var extras = Extras;
        extras.ReceiveTimeout = timeout;
        extras.ReceiveTimeoutGeneration++;
        if (timeout is null)
        {
            extras.ReceiveTimeoutTimer?.Dispose();
            extras.ReceiveTimeoutTimer = null;
            return;
        }

        RearmReceiveTimeout();
    }

    private void RearmReceiveTimeout()
    {
        var extras = _extras!;
        var generation = ++extras.ReceiveTimeoutGeneration;
        extras.ReceiveTimeoutTimer?.Dispose();
        extras.ReceiveTimeoutTimer = _system.Settings.TimeProvider.CreateTimer(
            static state => ((ReceiveTimeoutTarget)state!).Fire(),
            new ReceiveTimeoutTarget(this, generation),
            extras.ReceiveTimeout!.Value,
            Timeout.InfiniteTimeSpan);
    }

    private void HandleReceiveTimeoutTick(ReceiveTimeoutTick tick)
    {
        if (_extras is { ReceiveTimeout: not null } extras && extras.ReceiveTimeoutGeneration == tick.Generation)
        {
            _currentMessage = Actors.ReceiveTimeout.Instance;
            ReceiveMessage(Actors.ReceiveTimeout.Instance);
            if (!IsTerminating && extras.ReceiveTimeout is not null && extras.ReceiveTimeoutGeneration == tick.Generation)
            {
                RearmReceiveTimeout();
            }
        }
    }

    /// <summary>Puts messages in front of the mailbox (used by UnstashAll and restarts).</summary>
    internal void Prepend(IEnumerable<(object Message, IActorRef? Sender)> messages)
    {
        var extras = Extras;
        var queue = new Queue<(object, IActorRef?)>(messages);
        if (extras.Prepended is { } existing)
        {
            foreach (var item in existing)
            {
                queue.Enqueue(item);
            }
        }

        extras.Prepended = queue;
        ScheduleIfIdle();
    }

    internal void SendToDeadLettersFromStash(object message, IActorRef? sender) => SendToDeadLetters(message, sender);

    /// <summary>Runs an async handler; user messages wait until its task completes.</summary>
    internal void RunTask(Func<Task> action)
    {
        var context = new ActorSynchronizationContext(this, _currentMessage!, _currentSender);
        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(context);
        Task task;
        try
        {
            task = action();
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }

        if (task.IsCompleted)
        {
            task.GetAwaiter().GetResult();
            return;
        }

        _flags |= CellFlags.AwaitingTask;
        Extras.PendingTask = context;
        task.ContinueWith(
            static (t, state) =>
            {
                var ctx = (ActorSynchronizationContext)state!;
                var error = t.IsFaulted ? t.Exception!.InnerException ?? t.Exception
                    : t.IsCanceled ? new TaskCanceledException(t) : null;
                ctx.Cell.SendSystemMessage(new TaskCompleted(ctx, error));
            },
            context,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private void RunContinuation(TaskContinuation continuation)
    {
        var context = continuation.Context;
        if (!ReferenceEquals(_extras?.PendingTask, context))
        {
            return;
        }

        var previous = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(context);
        _currentMessage = context.Message;
        _currentSender = context.Sender;
        try
        {
            continuation.Callback(continuation.State);
        }
        finally
        {
            _currentMessage = null;
            _currentSender = null;
            SynchronizationContext.SetSynchronizationContext(previous);
        }
    }

    private void HandleTaskCompleted(TaskCompleted completed)
    {
        if (_extras is not { } extras || !ReferenceEquals(extras.PendingTask, completed.Context))
        {
            return;
        }

        extras.PendingTask = null;
        _flags &= ~CellFlags.AwaitingTask;
        if (completed.Error is { } error)
        {
            _currentSender = completed.Context.Sender;
            HandleInvokeFailure(error, completed.Context.Message);
            _currentSender = null;
        }
    }

    private sealed class ReceiveTimeoutTarget(ActorCell cell, int generation)
    {
        public void Fire() => cell.Tell(new ReceiveTimeoutTick(generation), null);
    }
}
