namespace Nanokit.Actors;

/// <summary>
/// A temporary reference completing a task with the first message it receives
/// (<see cref="Status.Failure"/> faults it); it times out and honours cancellation.
/// </summary>
internal sealed class PromiseActorRef : IActorRef
{
    private static long s_nextId;

    private readonly TaskCompletionSource<object> _promise = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ITimer? _timer;
    private readonly CancellationTokenRegistration _registration;
    private readonly string _timeoutMessage;
    private ActorPath? _path;

    public PromiseActorRef(TimeProvider time, TimeSpan? timeout, string timeoutMessage, CancellationToken cancellationToken)
    {
        _timeoutMessage = timeoutMessage;
        if (timeout is { } t && t != Timeout.InfiniteTimeSpan)
        {
            _timer = time.CreateTimer(
                static s => ((PromiseActorRef)s!).OnTimeout(), this, t < TimeSpan.Zero ? TimeSpan.Zero : t, Timeout.InfiniteTimeSpan);
        }

        if (cancellationToken.CanBeCanceled)
        {
            _registration = cancellationToken.Register(
                static (s, token) => ((PromiseActorRef)s!).OnCancelled(token), this);
        }
    }

    public Task<object> Task => _promise.Task;

    public ActorPath Path => _path ??= ActorPath.Root("temp").Child("$" + Interlocked.Increment(ref s_nextId));

    public void Tell(object message, IActorRef? sender)
    {
        var completed = message is Status.Failure failure
            ? _promise.TrySetException(failure.Cause)
            : _promise.TrySetResult(message);
        if (completed)
        {
            Cleanup();
        }
    }

    private void OnTimeout()
    {
        if (_promise.TrySetException(new AskTimeoutException(_timeoutMessage)))
        {
            Cleanup();
        }
    }

    private void OnCancelled(CancellationToken token)
    {
        if (_promise.TrySetCanceled(token))
        {
            Cleanup();
        }
    }

    private void Cleanup()
    {
        _timer?.Dispose();
        _registration.Dispose();
    }

    public override string ToString() => $"[{Path}]";
}
