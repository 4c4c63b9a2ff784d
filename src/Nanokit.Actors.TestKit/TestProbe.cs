using System.Collections.Concurrent;
using Xunit.Sdk;

namespace Nanokit.Actors.TestKit;

/// <summary>An actor reference whose received messages a test inspects with blocking, dilated expectations.</summary>
public sealed class TestProbe
{
    private readonly BlockingCollection<(object Message, IActorRef? Sender)> _queue;

    internal TestProbe(ActorSystem system, string? name)
    {
        Sys = system;
        _queue = [];
        Ref = system.ActorOf(Props.Create(() => new ProbeActor(_queue)), name);
    }

    public ActorSystem Sys { get; }

    public IActorRef Ref { get; }

    /// <summary>Sender of the last message returned by an expectation.</summary>
    public IActorRef? LastSender { get; private set; }

    /// <summary>Sends as this probe.</summary>
    public void Send(IActorRef target, object message) => target.Tell(message, Ref);

    /// <summary>Replies to <see cref="LastSender"/> as this probe.</summary>
    public void Reply(object message) =>
        (LastSender ?? throw new XunitException("Reply: no message has been received yet.")).Tell(message, Ref);

    public void Forward(IActorRef target, object message) => target.Tell(message, LastSender);

    /// <summary>Makes this probe receive <see cref="Terminated"/> when <paramref name="target"/> stops.</summary>
    public IActorRef Watch(IActorRef target)
    {
        Ref.Tell(new ProbeActor.WatchCommand(target, true), null);
        return target;
    }

    public IActorRef Unwatch(IActorRef target)
    {
        Ref.Tell(new ProbeActor.WatchCommand(target, false), null);
        return target;
    }

    /// <summary>Expects the next message to be a <typeparamref name="T"/> (matching the predicate, if any).</summary>
    public T ExpectMsg<T>(Predicate<T>? predicate = null, TimeSpan? timeout = null)
    {
        var (message, sender) = Next(timeout, $"a {typeof(T).Name}");
        if (message is not T typed)
        {
            throw new XunitException($"Expected a {typeof(T).Name} but received {Describe(message)} from {sender}.");
        }

        if (predicate is not null && !predicate(typed))
        {
            throw new XunitException($"Received {Describe(message)} which does not match the predicate.");
        }

        return typed;
    }

    /// <summary>Expects the next message to equal <paramref name="expected"/>.</summary>
    public T ExpectMsg<T>(T expected, TimeSpan? timeout = null)
        where T : notnull
    {
        var (message, _) = Next(timeout, Describe(expected));
        if (!Equals(message, expected))
        {
            throw new XunitException($"Expected {Describe(expected)} but received {Describe(message)}.");
        }

        return (T)message;
    }

    /// <summary>Asserts that nothing arrives for <paramref name="duration"/> (dilated).</summary>
    public void ExpectNoMsg(TimeSpan duration)
    {
        if (_queue.TryTake(out var item, TestKitSettings.Dilated(duration)))
        {
            LastSender = item.Sender;
            throw new XunitException($"Expected no message but received {Describe(item.Message)} from {item.Sender}.");
        }
    }

    public Terminated ExpectTerminated(IActorRef target, TimeSpan? timeout = null) =>
        ExpectMsg<Terminated>(t => ReferenceEquals(t.ActorRef, target) || t.ActorRef.Equals(target), timeout);

    /// <summary>Skips messages until one is a <typeparamref name="T"/> matching the predicate.</summary>
    public T FishForMessage<T>(Predicate<T> predicate, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + Effective(timeout);
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            var (message, _) = NextUndilated(left < TimeSpan.Zero ? TimeSpan.Zero : left, $"a matching {typeof(T).Name}");
            if (message is T typed && predicate(typed))
            {
                return typed;
            }
        }
    }

    /// <summary>The next <paramref name="count"/> messages, in order.</summary>
    public IReadOnlyList<object> ReceiveN(int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + Effective(timeout);
        var messages = new List<object>(count);
        while (messages.Count < count)
        {
            var left = deadline - DateTime.UtcNow;
            messages.Add(NextUndilated(left < TimeSpan.Zero ? TimeSpan.Zero : left, $"message {messages.Count + 1} of {count}").Message);
        }

        return messages;
    }

    private static TimeSpan Effective(TimeSpan? timeout)
    {
        var wait = TestKitSettings.Dilated(timeout ?? TestKitSettings.DefaultTimeout);
        return TestKitBase.RemainingWithin(wait);
    }

    private (object Message, IActorRef? Sender) Next(TimeSpan? timeout, string expected) => NextUndilated(Effective(timeout), expected);

    private (object Message, IActorRef? Sender) NextUndilated(TimeSpan wait, string expected)
    {
        if (!_queue.TryTake(out var item, wait))
        {
            throw new XunitException($"Timeout ({wait}) while waiting for {expected} at {Ref.Path}.");
        }

        LastSender = item.Sender;
        return item;
    }

    private static string Describe(object? message) => message is null ? "null" : $"{message.GetType().Name} {message}";

    /// <summary>Queues every message for the test thread; watches on request.</summary>
    private sealed class ProbeActor(BlockingCollection<(object Message, IActorRef? Sender)> queue) : ActorBase
    {
        protected override bool Receive(object message)
        {
            if (message is WatchCommand command)
            {
                if (command.Watch)
                {
                    Context.Watch(command.Target);
                }
                else
                {
                    Context.Unwatch(command.Target);
                }
            }
            else
            {
                queue.Add((message, Cell.CurrentSender));
            }

            return true;
        }

        internal sealed record WatchCommand(IActorRef Target, bool Watch);
    }
}
