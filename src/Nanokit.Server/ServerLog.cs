using Microsoft.Extensions.Logging;

namespace Nanokit.Server;

/// <summary>The node's log lines (structured; never a spec, an environment value or a token).</summary>
internal static partial class ServerLog
{
    [LoggerMessage(1, LogLevel.Information, "Node {Name} listening on {Listen}, cluster address {Cluster}, seeds {Seeds}")]
    public static partial void Started(this ILogger logger, string name, string listen, string cluster, string seeds);

    [LoggerMessage(40, LogLevel.Information, "Runtime: tiered compilation {TieredCompilation}, tiered PGO {TieredPgo}, thread-pool spin limit {SpinLimit}, gen0 size {Gen0Size}, server GC {ServerGc}, GC latency mode {LatencyMode}")]
    public static partial void RuntimeSettings(this ILogger logger, string tieredCompilation, string tieredPgo, string spinLimit, string gen0Size, bool serverGc, string latencyMode);

    [LoggerMessage(2, LogLevel.Warning, "Intent notifications lost ({Reason}); reconnecting in {Delay}")]
    public static partial void ListenLost(this ILogger logger, string reason, TimeSpan delay);

    [LoggerMessage(3, LogLevel.Information, "Swept {Count} pending intents ({Why})")]
    public static partial void Swept(this ILogger logger, int count, string why);

    [LoggerMessage(4, LogLevel.Warning, "Could not record {Count} status reports and events: {Reason}; retrying in {Delay}")]
    public static partial void StatusNotRecorded(this ILogger logger, int count, string reason, TimeSpan delay);

    [LoggerMessage(5, LogLevel.Information, "Intent of project {Project} accepted as generation {Generation}")]
    public static partial void IntentAccepted(this ILogger logger, string project, long generation);

    // The command itself is not logged: its arguments may carry a secret.
    [LoggerMessage(60, LogLevel.Information, "Exec asked in replica {Service}-{Replica} of project {Project}")]
    public static partial void ExecStarted(this ILogger logger, string project, string service, int replica);

    [LoggerMessage(61, LogLevel.Information, "One-off run asked of service {Service} of project {Project}")]
    public static partial void RunStarted(this ILogger logger, string project, string service);

    [LoggerMessage(6, LogLevel.Warning, "Dropped {Count} service progress events: more than {Max} were waiting for the store")]
    public static partial void ProgressDropped(this ILogger logger, int count, int max);

    [LoggerMessage(7, LogLevel.Warning, "Event notifications lost ({Reason}); reconnecting in {Delay}; watches poll meanwhile")]
    public static partial void EventsListenLost(this ILogger logger, string reason, TimeSpan delay);

    [LoggerMessage(9, LogLevel.Information, "Sent again {Count} intents their projects have not acknowledged; {Waiting} wait for one of {Slots} delivery slots; first copies now after {Wait}")]
    public static partial void Redelivered(this ILogger logger, int count, int waiting, int slots, TimeSpan wait);

    [LoggerMessage(12, LogLevel.Debug, "Intent senders are now {Members}")]
    public static partial void SendersChanged(this ILogger logger, string members);

    [LoggerMessage(13, LogLevel.Debug, "Sent intent of project {Project} generation {Generation} to its shard (attempt {Attempt}; next after {Wait})")]
    public static partial void IntentSent(this ILogger logger, string project, long generation, int attempt, TimeSpan wait);

    [LoggerMessage(14, LogLevel.Debug, "Project {Project} answered generation {Generation}")]
    public static partial void IntentAnswered(this ILogger logger, string project, long generation);

    [LoggerMessage(15, LogLevel.Debug, "Read {Count} pending intents of this node ({Scope}): {Projects}")]
    public static partial void PendingRead(this ILogger logger, int count, string scope, string projects);

    [LoggerMessage(16, LogLevel.Warning, "Intent of project {Project} generation {Generation} is still unanswered after {Attempts} sends over {Elapsed}; it is sent again until its project answers")]
    public static partial void IntentUnanswered(this ILogger logger, string project, long generation, int attempts, TimeSpan elapsed);

    [LoggerMessage(10, LogLevel.Warning, "The events of project {Project} could not be read for its watches ({Reason}); they wait for the next notification or poll")]
    public static partial void TailNotRead(this ILogger logger, string project, string reason);

    [LoggerMessage(11, LogLevel.Warning, "The store cannot be reached (attempt {Attempt}: {Reason}); trying again in {Delay}")]
    public static partial void StoreUnreachable(this ILogger logger, int attempt, string reason, TimeSpan delay);

    [LoggerMessage(8, LogLevel.Warning, "The journal and snapshot store could not be warmed up at start ({Reason}); their first use will start them")]
    public static partial void WarmupFailed(this ILogger logger, string reason);

    [LoggerMessage(17, LogLevel.Warning, "This Akka.Cluster has no split-brain resolver tick message by the name Nanokit knows; nanokit.server.resolver-tick is ignored and the resolver decides on its own 1 s tick")]
    public static partial void ResolverTickMissing(this ILogger logger);
}
