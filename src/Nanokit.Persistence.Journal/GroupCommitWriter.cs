using System.Diagnostics;
using System.Threading.Channels;

namespace Nanokit.Persistence.Journal;

/// <summary>
/// Group commit across actors. Akka's journal actor calls <c>WriteMessagesAsync</c> once per persisting actor's
/// request and does not wait for one call before starting the next, so at any moment many requests are in flight.
/// Each request queues here as one <see cref="PendingWrite"/>; one loop commits whatever has queued (up to a bound)
/// in a single transaction, so a durable commit (an fsync) is paid once per batch rather than once per actor.
/// Batching is natural, not timed: while one commit runs the next batch accumulates, so a lone actor sees no added
/// latency and a busy journal gets big batches.
///
/// A duplicate key (two incarnations of one persistence id writing the same sequence number) fails the whole
/// transaction; the loop then commits each request of that batch on its own so only the offender fails. Any other
/// failure fails every request of the batch: none of it was committed, and each actor learns so (Akka then stops it
/// with OnPersistFailure).
/// </summary>
internal sealed class GroupCommitWriter : IAsyncDisposable
{
    private readonly Channel<PendingWrite> _queue =
        Channel.CreateUnbounded<PendingWrite>(new UnboundedChannelOptions { SingleReader = true });

    private readonly Func<IReadOnlyList<PendingWrite>, Task> _commit;
    private readonly int _maxBatchEvents;
    private readonly Task _loop;

    public GroupCommitWriter(Func<IReadOnlyList<PendingWrite>, Task> commit, int maxBatchEvents)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatchEvents, 1);
        _commit = commit;
        _maxBatchEvents = maxBatchEvents;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Queues one request's rows (every atomic write of it) and completes when they are durable.</summary>
    public Task WriteAsync(IReadOnlyList<EventRow> rows, CancellationToken cancellationToken)
    {
        if (rows.Count == 0)
        {
            return Task.CompletedTask;
        }

        var pending = new PendingWrite(rows);
        if (!_queue.Writer.TryWrite(pending))
        {
            throw new ObjectDisposedException(nameof(GroupCommitWriter), "the journal is stopping");
        }

        // Cancelling stops the wait, not the write: a queued request may still be committed.
        return cancellationToken.CanBeCanceled ? pending.Completion.Task.WaitAsync(cancellationToken) : pending.Completion.Task;
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }

    private async Task RunAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<PendingWrite>();
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            // Actors released by the previous commit are about to persist again; yielding once lets those already
            // runnable join this batch instead of the next.
            await Task.Yield();
            batch.Clear();
            var events = 0;
            while (events < _maxBatchEvents && reader.TryRead(out var pending))
            {
                batch.Add(pending);
                events += pending.Rows.Count;
            }

            await CommitAsync(batch).ConfigureAwait(false);
        }
    }

    private async Task CommitAsync(List<PendingWrite> batch)
    {
        try
        {
            var started = Stopwatch.GetTimestamp();
            await _commit(batch).ConfigureAwait(false);
            JournalMetrics.CommitMicroseconds.Record((int)Stopwatch.GetElapsedTime(started).TotalMicroseconds);
            JournalMetrics.CommitEvents.Record(batch.Sum(p => p.Rows.Count));
            foreach (var pending in batch)
            {
                pending.Completion.TrySetResult();
            }
        }
        catch (DuplicateEventException) when (batch.Count > 1)
        {
            foreach (var pending in batch)
            {
                await CommitAsync([pending]).ConfigureAwait(false);
            }
        }
        catch (Exception e)
        {
            foreach (var pending in batch)
            {
                pending.Completion.TrySetException(e);
            }
        }
    }
}

/// <summary>One journal request waiting for its group commit.</summary>
internal sealed class PendingWrite(IReadOnlyList<EventRow> rows)
{
    public IReadOnlyList<EventRow> Rows { get; } = rows;

    // Continuations run elsewhere so an actor's continuation never runs inside the writer loop.
    public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>A (persistence id, sequence number) already in the journal: a second writer for one entity.</summary>
internal sealed class DuplicateEventException(string message, Exception inner) : Exception(message, inner);
