using Microsoft.Extensions.Logging;

namespace Nanokit.Reconciler;

internal static partial class ReconcilerLog
{
    [LoggerMessage(EventId = 200, Level = LogLevel.Warning,
        Message = "Project {Project} could not delete its journal up to its snapshot at {SequenceNr}; the events stay until the next snapshot")]
    public static partial void JournalDeleteFailed(this ILogger logger, string project, long sequenceNr, Exception exception);

    [LoggerMessage(EventId = 201, Level = LogLevel.Warning,
        Message = "Project {Project} could not delete its snapshots older than {SequenceNr}; they stay until the next snapshot")]
    public static partial void SnapshotDeleteFailed(this ILogger logger, string project, long sequenceNr, Exception exception);
}
