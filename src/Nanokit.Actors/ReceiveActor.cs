namespace Nanokit.Actors;

/// <summary>
/// An actor whose behaviour is a list of typed handlers declared in its constructor (or inside
/// <see cref="Become(Action)"/>); the first matching handler wins.
/// </summary>
public abstract class ReceiveActor : ActorBase
{
    private HandlerChain _initial = new();
    private HandlerChain? _building;
    private bool _sealed;

    protected void Receive<T>(Action<T> handler) => Add(new SyncHandler<T>(handler, null));

    protected void Receive<T>(Predicate<T> shouldHandle, Action<T> handler) =>
        Add(new SyncHandler<T>(handler, shouldHandle));

    /// <summary>No other message is processed until the returned task completes; awaits resume on the actor.</summary>
    protected void ReceiveAsync<T>(Func<T, Task> handler, Predicate<T>? shouldHandle = null) =>
        Add(new AsyncHandler<T>(handler, shouldHandle));

    protected void ReceiveAny(Action<object> handler) => Add(new SyncHandler<object>(handler, null));

    protected void ReceiveAnyAsync(Func<object, Task> handler) => Add(new AsyncHandler<object>(handler, null));

    /// <summary>Replaces the behaviour with the handlers <paramref name="configure"/> declares.</summary>
    protected void Become(Action configure) => Context.Become(Build(configure));

    protected void BecomeStacked(Action configure) => Context.BecomeStacked(Build(configure));

    protected void Unbecome() => Context.Unbecome();

    protected sealed override bool Receive(object message) => _initial.Handle(message);

    internal override void AfterConstruction() => _sealed = true;

    private Receive Build(Action configure)
    {
        var chain = new HandlerChain();
        var previous = _building;
        _building = chain;
        try
        {
            configure();
        }
        finally
        {
            _building = previous;
        }

        return chain.Handle;
    }

    private void Add(ReceiveHandler handler)
    {
        if (_building is { } chain)
        {
            chain.Add(handler);
        }
        else if (!_sealed)
        {
            _initial.Add(handler);
        }
        else
        {
            throw new InvalidOperationException("Receive may only be called in the constructor or inside Become.");
        }
    }

    private sealed class HandlerChain
    {
        private ReceiveHandler? _head;
        private ReceiveHandler? _tail;

        public void Add(ReceiveHandler handler)
        {
            if (_tail is null)
            {
                _head = _tail = handler;
            }
            else
            {
                _tail.Next = handler;
                _tail = handler;
            }
        }

        public bool Handle(object message)
        {
            for (var h = _head; h is not null; h = h.Next)
            {
                if (h.TryHandle(message))
                {
                    return true;
                }
            }

            return false;
        }
    }

    private abstract class ReceiveHandler
    {
        public ReceiveHandler? Next;

        public abstract bool TryHandle(object message);
    }

    private sealed class SyncHandler<T>(Action<T> handler, Predicate<T>? shouldHandle) : ReceiveHandler
    {
        public override bool TryHandle(object message)
        {
            if (message is T typed && (shouldHandle is null || shouldHandle(typed)))
            {
                handler(typed);
                return true;
            }

            return false;
        }
    }

    private sealed class AsyncHandler<T>(Func<T, Task> handler, Predicate<T>? shouldHandle) : ReceiveHandler
    {
        public override bool TryHandle(object message)
        {
            if (message is T typed && (shouldHandle is null || shouldHandle(typed)))
            {
                ActorCell.Current!.RunTask(() => handler(typed));
                return true;
            }

            return false;
        }
    }
}
