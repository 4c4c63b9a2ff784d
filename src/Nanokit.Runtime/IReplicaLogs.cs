namespace Nanokit.Runtime;

/// <summary>
/// Reading a replica's output, for <c>nkapp logs</c>. Separate from <see cref="IRuntimeProvider"/> because not every
/// provider keeps logs the same way; a provider that has them implements both.
/// </summary>
public interface IReplicaLogs
{
    /// <summary>
    /// The last <see cref="LogReadOptions.Tail"/> lines (all when null), then, when following, every new line until
    /// cancelled. Following survives log rotation and a replica being replaced.
    /// </summary>
    IAsyncEnumerable<string> ReadLogsAsync(ReplicaId replica, LogReadOptions options, CancellationToken cancellationToken);

    /// <summary>
    /// The output a service's <paramref name="kind"/> hook printed, every run of it appended, read as
    /// <see cref="ReadLogsAsync"/> reads a replica's; empty when the hook never ran or the provider keeps no hook output.
    /// </summary>
    IAsyncEnumerable<string> ReadHookLogsAsync(ProjectRef project, string service, Nanokit.Core.Model.HookKind kind, LogReadOptions options, CancellationToken cancellationToken) =>
        AsyncEnumerable.Empty<string>();

    /// <summary>
    /// Whether the provider knows when each line was written, so it honours <see cref="LogReadOptions.Timestamps"/> and
    /// <see cref="LogReadOptions.Since"/>; a provider that does not ignores both.
    /// </summary>
    bool KnowsLineTimes => false;
}

/// <summary>
/// How to read a log: the last <paramref name="Tail"/> lines, then following; with <paramref name="Timestamps"/> each line
/// starts with its RFC 3339 time and a space; <paramref name="Since"/> skips the lines written before it.
/// </summary>
public sealed record LogReadOptions(int? Tail = null, bool Follow = false, bool Timestamps = false, DateTimeOffset? Since = null)
{
    public static readonly LogReadOptions All = new();
}
