using Nanokit.Actors.Dispatch;

namespace Nanokit.Actors;

internal sealed partial class ActorCell
{
    private const string NameChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+~";

    public IReadOnlyCollection<IActorRef> Children
    {
        get
        {
            if (_children is not { } container)
            {
                return [];
            }

            lock (container)
            {
                return [.. container.Map.Values];
            }
        }
    }

    public IActorRef? Child(string name)
    {
        if (_children is not { } container)
        {
            return null;
        }

        lock (container)
        {
            return container.Map.TryGetValue(name, out var child) && !child.IsTerminated ? child : null;
        }
    }

    public IActorRef ActorOf(Props props, string? name = null) => AttachChild(props, name);

    /// <summary>Thread-safe: the user guardian's children are created from any thread.</summary>
    internal ActorCell AttachChild(Props props, string? name)
    {
        ArgumentNullException.ThrowIfNull(props);
        if (name is not null)
        {
            ValidateName(name);
        }

        var container = _children;
        if (container is null)
        {
            Interlocked.CompareExchange(ref _children, new ChildrenContainer(), null);
            container = _children!;
        }

        ActorCell child;
        lock (container)
        {
            if (container.Closed)
            {
                throw new InvalidOperationException($"Cannot create a child of {Path}: it is stopping.");
            }

            name ??= NextAnonymousName(container);
            if (container.Map.ContainsKey(name))
            {
                throw new InvalidActorNameException($"Actor name [{name}] is not unique under {Path}.");
            }

            child = new ActorCell(_system, this, name, props);
            container.Map.Add(name, child);
        }

        child.SendSystemMessage(new Create());
        return child;
    }

    public void Stop(IActorRef actor)
    {
        if (actor is not ActorCell cell)
        {
            return;
        }

        if (ReferenceEquals(cell._parent, this) && ReferenceEquals(t_current, this))
        {
            cell._stopRequestedByParent = true;
        }

        cell.SendSystemMessage(new Terminate());
    }

    private static void ValidateName(string name)
    {
        if (name.Length == 0 || name.StartsWith('$') || name.Contains('/'))
        {
            throw new InvalidActorNameException($"Invalid actor name [{name}]: must be non-empty, without '/', not starting with '$'.");
        }
    }

    private static string NextAnonymousName(ChildrenContainer container)
    {
        var id = container.NextId++;
        Span<char> buffer = stackalloc char[12];
        var i = buffer.Length;
        do
        {
            buffer[--i] = NameChars[(int)(id & 63)];
            id >>= 6;
        }
        while (id != 0);

        buffer[--i] = '$';
        return new string(buffer[i..]);
    }

    private List<ActorCell> ChildSnapshot()
    {
        if (_children is not { } container)
        {
            return [];
        }

        lock (container)
        {
            return [.. container.Map.Values];
        }
    }

    private bool HasChildren
    {
        get
        {
            if (_children is not { } container)
            {
                return false;
            }

            lock (container)
            {
                return container.Map.Count > 0;
            }
        }
    }

    private bool IsChild(ActorCell cell)
    {
        if (_children is not { } container || !ReferenceEquals(cell._parent, this))
        {
            return false;
        }

        lock (container)
        {
            return container.Map.TryGetValue(cell._name, out var found) && ReferenceEquals(found, cell);
        }
    }

    private void RemoveChild(ActorCell child)
    {
        if (_children is not { } container)
        {
            return;
        }

        lock (container)
        {
            if (container.Map.TryGetValue(child._name, out var found) && ReferenceEquals(found, child))
            {
                container.Map.Remove(child._name);
            }
        }

        _extras?.ChildStats?.Remove(child);
    }

    /// <summary>True while a child this parent stopped has not yet reported its death.</summary>
    private bool HasChildrenBeingStopped()
    {
        foreach (var child in ChildSnapshot())
        {
            if (child._stopRequestedByParent)
            {
                return true;
            }
        }

        return false;
    }

    private void StopAllChildren(bool closeForNewChildren)
    {
        if (_children is { } container && closeForNewChildren)
        {
            lock (container)
            {
                container.Closed = true;
            }
        }

        foreach (var child in ChildSnapshot())
        {
            child._stopRequestedByParent = true;
            child.SendSystemMessage(new Terminate());
        }
    }

    private void SendToChildren(Func<SystemMessage> message)
    {
        foreach (var child in ChildSnapshot())
        {
            child.SendSystemMessage(message());
        }
    }

    private sealed class ChildrenContainer
    {
        public readonly Dictionary<string, ActorCell> Map = new(StringComparer.Ordinal);
        public long NextId;
        public bool Closed;
    }
}
