namespace Nanokit.Persistence;

/// <summary>Typed handlers in declaration order; the first whose type (and predicate) matches wins.</summary>
internal sealed class HandlerList
{
    private readonly List<Entry> _entries = [];

    /// <summary>Adds a handler; <paramref name="invoke"/> returns a task for an async handler, null for a synchronous one.</summary>
    public void Add<T>(Func<T, Task?> invoke, Predicate<T>? shouldHandle) =>
        _entries.Add(new Entry(message => message is T typed && (shouldHandle is null || shouldHandle(typed)), message => invoke((T)message)));

    public bool TryFind(object message, out Func<object, Task?> invoke)
    {
        foreach (var entry in _entries)
        {
            if (entry.Matches(message))
            {
                invoke = entry.Invoke;
                return true;
            }
        }

        invoke = null!;
        return false;
    }

    private sealed record Entry(Func<object, bool> Matches, Func<object, Task?> Invoke);
}
