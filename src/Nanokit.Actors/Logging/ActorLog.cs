using Microsoft.Extensions.Logging;
using Nanokit.Actors.Supervision;

namespace Nanokit.Actors.Logging;

internal static partial class ActorLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Error, Message = "Actor {Path} failed")]
    public static partial void ActorFailed(this ILogger logger, ActorPath path, Exception exception);

    [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "Child {Path} failed; supervisor directive {Directive}")]
    public static partial void ChildFailed(this ILogger logger, ActorPath path, Directive directive, Exception exception);

    [LoggerMessage(EventId = 3, Level = LogLevel.Error, Message = "Actor {Path} failed while processing system message {MessageType}")]
    public static partial void SystemMessageFailed(this ILogger logger, ActorPath path, string messageType, Exception exception);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "Dead letter {MessageType} from {Sender} to {Recipient}")]
    public static partial void DeadLetterLogged(this ILogger logger, string messageType, ActorPath? sender, ActorPath recipient);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "{Count} dead letters logged; further dead letters are only counted")]
    public static partial void DeadLettersSuppressed(this ILogger logger, int count);
}
