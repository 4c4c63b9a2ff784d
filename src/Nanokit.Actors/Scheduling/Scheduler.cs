namespace Nanokit.Actors.Scheduling;

public interface ICancelable
{
    bool IsCancellationRequested { get; }

    void Cancel();
}

/// <summary>Delayed and repeated Tells, backed by the system's <see cref="TimeProvider"/> timers.</summary>
public interface IScheduler
{
    void ScheduleTellOnce(TimeSpan delay, IActorRef receiver, object message, IActorRef? sender);

    ICancelable ScheduleTellOnceCancelable(TimeSpan delay, IActorRef receiver, object message, IActorRef? sender);

    ICancelable ScheduleTellRepeatedlyCancelable(TimeSpan initialDelay, TimeSpan interval, IActorRef receiver, object message, IActorRef? sender);
}

internal sealed class TimerBasedScheduler(TimeProvider time) : IScheduler
{
    public void ScheduleTellOnce(TimeSpan delay, IActorRef receiver, object message, IActorRef? sender) =>
        ScheduleTellOnceCancelable(delay, receiver, message, sender);

    public ICancelable ScheduleTellOnceCancelable(TimeSpan delay, IActorRef receiver, object message, IActorRef? sender) =>
        new ScheduledTell(time, delay, Timeout.InfiniteTimeSpan, receiver, message, sender);

    public ICancelable ScheduleTellRepeatedlyCancelable(TimeSpan initialDelay, TimeSpan interval, IActorRef receiver, object message, IActorRef? sender)
    {
        if (interval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(interval), "A repeat interval must be positive.");
        }

        return new ScheduledTell(time, initialDelay, interval, receiver, message, sender);
    }

    /// <summary>The timer's state references the timer, which keeps it rooted until it is cancelled.</summary>
    private sealed class ScheduledTell : ICancelable
    {
        private readonly IActorRef _receiver;
        private readonly object _message;
        private readonly IActorRef? _sender;
        private readonly bool _once;
        private readonly ITimer _timer;
        private int _cancelled;

        public ScheduledTell(TimeProvider time, TimeSpan delay, TimeSpan interval, IActorRef receiver, object message, IActorRef? sender)
        {
            _receiver = receiver;
            _message = message;
            _sender = sender;
            _once = interval == Timeout.InfiniteTimeSpan;
            _timer = time.CreateTimer(static s => ((ScheduledTell)s!).Fire(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _timer.Change(delay < TimeSpan.Zero ? TimeSpan.Zero : delay, interval);
        }

        public bool IsCancellationRequested => Volatile.Read(ref _cancelled) != 0;

        public void Cancel()
        {
            if (Interlocked.Exchange(ref _cancelled, 1) == 0)
            {
                _timer.Dispose();
            }
        }

        private void Fire()
        {
            if (IsCancellationRequested)
            {
                return;
            }

            _receiver.Tell(_message, _sender);
            if (_once)
            {
                Cancel();
            }
        }
    }
}
