using System.Collections.Concurrent;

namespace Nanokit.Providers.Docker;

// Starts first. A run's next layer goes on once every replica of this one has started and is ready, so while the daemon is
// starting containers (a replica's create and start in its turn, or the start of one created ahead), the other work Nanokit
// gives it can only delay the slowest start: a readiness loop's exec is a process the daemon spawns as it spawns a start's,
// and a create ahead of its turn (DockerRuntime.Prepare.cs) is not needed until this layer is ready. Both therefore wait until the starts already in flight when they fall due have been answered;
// starts that begin later do not hold them again, so a steady stream of starts cannot starve them, and a start that hangs
// holds them at most DockerRuntimeOptions.StartsFirstLimit.
public sealed partial class DockerRuntime
{
    private readonly ConcurrentDictionary<long, Task> _startsInFlight = new();
    private long _lastStart;

    /// <summary>Runs a container start (or a replica's create and start), known to the work that yields to starts until the daemon has answered it.</summary>
    internal async Task StartingAsync(Func<Task> start)
    {
        var id = Interlocked.Increment(ref _lastStart);
        var answered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _startsInFlight[id] = answered.Task;
        try
        {
            await start().ConfigureAwait(false);
        }
        finally
        {
            _startsInFlight.TryRemove(id, out _);
            answered.SetResult();
        }
    }

    /// <summary>Returns once the starts in flight now have been answered, or after <see cref="DockerRuntimeOptions.StartsFirstLimit"/>.</summary>
    private async Task AfterStartsInFlightAsync(CancellationToken cancellationToken)
    {
        var inFlight = _startsInFlight.Values.ToArray();
        if (inFlight.Length == 0)
        {
            return;
        }

        try
        {
            await Task.WhenAll(inFlight).WaitAsync(_options.StartsFirstLimit, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // A start the daemon is slow to answer holds the rest no longer.
        }
    }
}
