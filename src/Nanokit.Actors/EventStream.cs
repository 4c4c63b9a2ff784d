namespace Nanokit.Actors;

/// <summary>System-wide publish/subscribe by message type (a subscription to a type receives its subtypes too).</summary>
public sealed class EventStream
{
    private Subscription[] _subscriptions = [];

    public bool Subscribe(IActorRef subscriber, Type channel)
    {
        ArgumentNullException.ThrowIfNull(subscriber);
        ArgumentNullException.ThrowIfNull(channel);
        return Update(current =>
            Array.Exists(current, s => ReferenceEquals(s.Subscriber, subscriber) && s.Channel == channel)
                ? null
                : [.. current, new Subscription(subscriber, channel)]);
    }

    public bool Unsubscribe(IActorRef subscriber, Type channel) =>
        Update(current => Remove(current, s => ReferenceEquals(s.Subscriber, subscriber) && s.Channel == channel));

    public bool Unsubscribe(IActorRef subscriber) =>
        Update(current => Remove(current, s => ReferenceEquals(s.Subscriber, subscriber)));

    public void Publish(object @event)
    {
        ArgumentNullException.ThrowIfNull(@event);
        foreach (var subscription in Volatile.Read(ref _subscriptions))
        {
            if (subscription.Channel.IsInstanceOfType(@event))
            {
                subscription.Subscriber.Tell(@event, null);
            }
        }
    }

    private static Subscription[]? Remove(Subscription[] current, Predicate<Subscription> match) =>
        Array.Exists(current, match) ? Array.FindAll(current, s => !match(s)) : null;

    /// <summary>Copy-on-write: publishing never locks; null from <paramref name="change"/> means no change.</summary>
    private bool Update(Func<Subscription[], Subscription[]?> change)
    {
        while (true)
        {
            var current = Volatile.Read(ref _subscriptions);
            var next = change(current);
            if (next is null)
            {
                return false;
            }

            if (ReferenceEquals(Interlocked.CompareExchange(ref _subscriptions, next, current), current))
            {
                return true;
            }
        }
    }

    private sealed record Subscription(IActorRef Subscriber, Type Channel);
}
