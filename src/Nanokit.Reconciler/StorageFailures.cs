using Akka.Actor;

namespace Nanokit.Reconciler;

/// <summary>How a persistent actor of the reconciler reports that its store failed: on the event stream, for the node to end on.</summary>
internal static class StorageFailures
{
    public static void Report(IActorContext context, string project, string persistenceId, Exception cause) =>
        context.System.EventStream.Publish(new StorageFailed(project, persistenceId, Describe(cause)));

    /// <summary>The innermost message names the cause (disk full, read-only file, not a database); the wrappers add nothing.</summary>
    private static string Describe(Exception cause)
    {
        var inner = cause;
        while (inner.InnerException is not null)
        {
            inner = inner.InnerException;
        }

        return inner.Message;
    }
}
