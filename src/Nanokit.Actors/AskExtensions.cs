namespace Nanokit.Actors;

public static class AskExtensions
{
    /// <summary>
    /// Sends <paramref name="message"/> with a temporary sender and returns its first reply.
    /// Faults with <see cref="AskTimeoutException"/> after <paramref name="timeout"/> (null: no timeout),
    /// with the cause of a <see cref="Status.Failure"/> reply, or is cancelled by the token.
    /// </summary>
    public static async Task<T> Ask<T>(this IActorRef target, object message, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var reply = await target.Ask(message, timeout, cancellationToken).ConfigureAwait(false);
        return reply is T typed
            ? typed
            : throw new InvalidCastException($"Ask to {target.Path} expected {typeof(T).Name} but got {reply.GetType().Name}.");
    }

    public static Task<object> Ask(this IActorRef target, object message, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(message);
        var time = (target as ActorCell)?.System.Settings.TimeProvider ?? TimeProvider.System;
        var promise = new PromiseActorRef(time, timeout, $"Ask to {target.Path} timed out after {timeout}", cancellationToken);
        target.Tell(message, promise);
        return promise.Task;
    }

    /// <summary>
    /// Sends <paramref name="stopMessage"/> (PoisonPill by default) and completes with true once the actor has
    /// stopped, or false if it has not within <paramref name="timeout"/>.
    /// </summary>
    public static async Task<bool> GracefulStop(this IActorRef target, TimeSpan timeout, object? stopMessage = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (target is not ActorCell cell)
        {
            throw new ArgumentException($"{target} is not a local actor.", nameof(target));
        }

        var promise = new PromiseActorRef(cell.System.Settings.TimeProvider, timeout, "graceful stop timed out", CancellationToken.None);
        cell.SendSystemMessage(new Dispatch.Watch(promise));
        cell.Tell(stopMessage ?? PoisonPill.Instance, null);
        try
        {
            await promise.Task.ConfigureAwait(false);
            return true;
        }
        catch (AskTimeoutException)
        {
            return false;
        }
    }
}
