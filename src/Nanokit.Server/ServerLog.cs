using Microsoft.Extensions.Logging;

namespace Nanokit.Server;

/// <summary>The node's log lines (structured; never a spec, an environment value or a token).</summary>
internal static partial class ServerLog
{
    [LoggerMessage(1, LogLevel.Information, "Node {Name} listening on {Listen}, cluster address {Cluster}, seeds {Seeds}")]
    public static partial void Started(this ILogger logger, string name, string listen, string cluster, string seeds);

    [LoggerMessage(2, LogLevel.Warning, "Intent notifications lost ({Reason}); reconnecting in {Delay}")]
    public static partial void ListenLost(this ILogger logger, string reason, TimeSpan delay);

    [LoggerMessage(3, LogLevel.Information, "Swept {Count} pending intents ({Why})")]
    public static partial void Swept(this ILogger logger, int count, string why);

    [LoggerMessage(4, LogLevel.Warning, "Could not record the status of project {Project}: {Reason}")]
    public static partial void StatusNotRecorded(this ILogger logger, string project, string reason);

    [LoggerMessage(5, LogLevel.Information, "Intent of project {Project} accepted as generation {Generation}")]
    public static partial void IntentAccepted(this ILogger logger, string project, long generation);
}
