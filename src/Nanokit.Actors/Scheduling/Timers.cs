namespace Nanokit.Actors.Scheduling;

/// <summary>An actor with keyed timers; the runtime fills <see cref="Timers"/> before the constructor returns.</summary>
public interface IWithTimers
{
    ITimerScheduler Timers { get; set; }
}

/// <summary>
/// Keyed timers owned by one actor: starting a key replaces its previous timer, and all are
/// cancelled when the actor stops or restarts. A message of a cancelled or replaced timer is never delivered.
/// </summary>
public interface ITimerScheduler
{
    void StartSingleTimer(object key, object message, TimeSpan delay);

    void StartPeriodicTimer(object key, object message, TimeSpan interval);

    void StartPeriodicTimer(object key, object message, TimeSpan initialDelay, TimeSpan interval);

    bool IsTimerActive(object key);

    void Cancel(object key);

    void CancelAll();
}

/// <summary>The envelope of a timer's message; the cell delivers it only if its timer is still the current one for its key.</summary>
internal sealed record TimerFired(TimerScheduler.TimerEntry Entry) : IAutoReceivedMessage
{
    public object Message => Entry.Message;
}

internal sealed class TimerScheduler(ActorCell cell) : ITimerScheduler
{
    private Dictionary<object, TimerEntry>? _timers;

    public void StartSingleTimer(object key, object message, TimeSpan delay) =>
        Start(key, message, delay, Timeout.InfiniteTimeSpan);

    public void StartPeriodicTimer(object key, object message, TimeSpan interval) =>
        StartPeriodicTimer(key, message, interval, interval);

    public void StartPeriodicTimer(object key, object message, TimeSpan initialDelay, TimeSpan interval)
    {
        if (interval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(interval), "A periodic timer needs a positive interval.");
        }

        Start(key, message, initialDelay, interval);
    }

    public bool IsTimerActive(object key) => _timers?.ContainsKey(key) == true;

    public void Cancel(object key)
    {
        if (_timers is not null && _timers.Remove(key, out var entry))
        {
            entry.Dispose();
        }
    }

    public void CancelAll()
    {
        if (_timers is null)
        {
            return;
        }

        foreach (var entry in _timers.Values)
        {
            entry.Dispose();
        }

        _timers.Clear();
    }

    /// <summary>True if the fired timer is still current; a single timer is then forgotten.</summary>
    internal bool Accept(TimerFired fired)
    {
        var entry = fired.Entry;
        if (_timers is null || !_timers.TryGetValue(entry.Key, out var current) || !ReferenceEquals(current, entry))
        {
            return false;
        }

        if (!entry.Periodic)
        {
            _timers.Remove(entry.Key);
            entry.Dispose();
        }

        return true;
    }

    private void Start(object key, object message, TimeSpan delay, TimeSpan interval)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(message);
        Cancel(key);
        var entry = new TimerEntry(cell, key, message, interval != Timeout.InfiniteTimeSpan);
        (_timers ??= []).Add(key, entry);
        entry.Arm(cell.System.Settings.TimeProvider, delay < TimeSpan.Zero ? TimeSpan.Zero : delay, interval);
    }

    internal sealed class TimerEntry(ActorCell cell, object key, object message, bool periodic) : IDisposable
    {
        private ITimer? _timer;

        public object Key { get; } = key;

        public object Message { get; } = message;

        public bool Periodic { get; } = periodic;

        public void Arm(TimeProvider time, TimeSpan delay, TimeSpan interval)
        {
            _timer = time.CreateTimer(static s => ((TimerEntry)s!).Fire(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _timer.Change(delay, interval);
        }

        public void Dispose() => _timer?.Dispose();

        private void Fire() => cell.Tell(new TimerFired(this), null);
    }
}
