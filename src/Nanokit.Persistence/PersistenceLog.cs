using Microsoft.Extensions.Logging;
using Nanokit.Actors;

namespace Nanokit.Persistence;

internal static partial class PersistenceLog
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Error, Message = "Persistent actor {Path} ({PersistenceId}) failed to recover; stopping")]
    public static partial void RecoveryFailed(this ILogger logger, ActorPath path, string persistenceId, Exception exception);

    [LoggerMessage(EventId = 101, Level = LogLevel.Error,
        Message = "Persistent actor {Path} ({PersistenceId}) failed to persist events {FromSequenceNr}..{ToSequenceNr}; stopping")]
    public static partial void PersistFailed(this ILogger logger, ActorPath path, string persistenceId, long fromSequenceNr, long toSequenceNr, Exception exception);

    [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "Persistent actor {Path} ({PersistenceId}) failed to save a snapshot at {SequenceNr}")]
    public static partial void SnapshotFailed(this ILogger logger, ActorPath path, string persistenceId, long sequenceNr, Exception exception);
}
