using Microsoft.Extensions.Logging;
using Nanokit.Actors.Logging;

namespace Nanokit.Actors;

/// <summary>Receives what could not be delivered: counts it, logs the first few, publishes a <see cref="DeadLetter"/>.</summary>
internal sealed class DeadLetterActorRef(ActorSystem system, ILogger log) : IActorRef
{
    private long _count;

    public ActorPath Path { get; } = ActorPath.Root(system.Name).Child("deadLetters");

    public long Count => Interlocked.Read(ref _count);

    public void Tell(object message, IActorRef? sender)
    {
        ArgumentNullException.ThrowIfNull(message);
        var letter = message as DeadLetter ?? new DeadLetter(message, sender, this);
        var count = Interlocked.Increment(ref _count);
        var limit = system.Settings.LogDeadLetters;
        if (count <= limit)
        {
            log.DeadLetterLogged(letter.Message.GetType().Name, letter.Sender?.Path, letter.Recipient.Path);
            if (count == limit)
            {
                log.DeadLettersSuppressed(limit);
            }
        }

        // A dead letter addressed to a dead subscriber of DeadLetter must not loop.
        if (letter.Message is not DeadLetter)
        {
            system.EventStream.Publish(letter);
        }
    }

    public override string ToString() => $"[{Path}]";
}
