using System.Collections.Immutable;
using Nanokit.Core.Model;

namespace Nanokit.Runtime;

/// <summary>
/// Running a command of the user's beside a service, in the foreground: <c>nkapp exec</c> (in a running replica) and
/// <c>nkapp run</c> (a one-off from the service's definition). Separate from <see cref="IRuntimeProvider"/>, which is
/// the reconciler's seam: a provider that can do it implements both, and a command on another runtime says it cannot.
/// </summary>
public interface IReplicaCommands
{
    /// <summary>
    /// Runs <paramref name="command"/> in the running <paramref name="replica"/> (its environment, working directory and,
    /// where the runtime has one, its namespace) and returns its exit code; a replica that is not running is a
    /// <see cref="RuntimeException"/>. Cancelling stops the command.
    /// </summary>
    Task<int> ExecAsync(ReplicaId replica, ImmutableArray<string> command, CommandStreams streams, CancellationToken cancellationToken);

    /// <summary>
    /// Runs a one-off of <paramref name="service"/>: its definition with <paramref name="command"/> in place of its
    /// command (its own when empty), not counted as a replica and gone when it ends; returns its exit code.
    /// </summary>
    Task<int> RunOnceAsync(ProjectRef project, ServiceSpec service, ImmutableArray<string> command, CommandStreams streams, CancellationToken cancellationToken);
}

/// <summary>
/// Where a foreground command's stdout and stderr go, and its input (none: it reads end-of-file at once). Output is
/// bytes, written as the command wrote them and flushed after each write: <c>exec db pg_dump -Fc &gt; db.dump</c> must
/// keep every byte, and a text decoder would replace what is not UTF-8.
/// </summary>
public sealed record CommandStreams(Stream? Input, Stream Output, Stream Error);
