namespace Nanokit.Actors;

/// <summary>An actor that can set messages aside; the runtime fills <see cref="Stash"/> before the constructor returns.</summary>
public interface IWithStash
{
    IStash Stash { get; set; }
}

public interface IStash
{
    /// <summary>Sets the current message aside (at most once per message).</summary>
    void Stash();

    /// <summary>Puts the oldest stashed message in front of the mailbox.</summary>
    void Unstash();

    /// <summary>Puts every stashed message, oldest first, in front of the mailbox.</summary>
    void UnstashAll();

    /// <summary>Drops every stashed message (they do not become dead letters).</summary>
    void ClearStash();

    int Count { get; }
}

/// <summary>
/// Stashed messages survive a restart (they are put back in front of the mailbox) and become
/// dead letters when the actor stops.
/// </summary>
internal sealed class StashImpl(ActorCell cell) : IStash
{
    private readonly List<(object Message, IActorRef? Sender)> _messages = [];
    private object? _lastStashed;

    public int Count => _messages.Count;

    public void Stash()
    {
        var message = cell.CurrentMessage ?? throw new InvalidOperationException("There is no current message to stash.");
        if (ReferenceEquals(message, _lastStashed) && _messages.Count > 0)
        {
            throw new InvalidOperationException($"Cannot stash {message} twice.");
        }

        _lastStashed = message;
        _messages.Add((message, cell.CurrentSender));
    }

    public void Unstash()
    {
        if (_messages.Count == 0)
        {
            return;
        }

        var first = _messages[0];
        _messages.RemoveAt(0);
        cell.Prepend([first]);
    }

    public void UnstashAll()
    {
        if (_messages.Count == 0)
        {
            return;
        }

        var all = _messages.ToArray();
        _messages.Clear();
        _lastStashed = null;
        cell.Prepend(all);
    }

    public void ClearStash()
    {
        _messages.Clear();
        _lastStashed = null;
    }

    internal void PrependAllToMailbox() => UnstashAll();

    internal void DrainToDeadLetters()
    {
        foreach (var (message, sender) in _messages)
        {
            cell.SendToDeadLettersFromStash(message, sender);
        }

        ClearStash();
    }
}
