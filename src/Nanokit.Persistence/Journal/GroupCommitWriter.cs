using System.Threading.Channels;

namespace Nanokit.Persistence.Journal;

/// <summary>
/// Group commit: appends from many callers queue in a channel and one writer loop commits
/// whatever has queued (up to a bound) in a single transaction, so a durable commit
/// (an fsync) is paid once per batch rather than once per event. Batching is natural,
/// not timed: while one commit is in flight the next batch accumulates, so a lone writer
/// gets no added latency and a busy journal gets big batches.
///
/// A conflicting append (a second writer for one entity) makes the whole transaction
/// fail; the loop then commits each append of that batch on its own so only the
/// conflicting caller sees the error. Any other failure fails the whole batch: none of
/// it was committed, and each caller learns so.
/// </summary>
internal sealed class GroupCommitWriter : IAsyncDisposable
{
    private readonly Channel<PendingAppend> _queue =
        Channel.CreateUnbounded<PendingAppend>(new UnboundedChannelOptions { SingleReader = true });

    private readonly Func<IReadOnlyList<PendingAppend>, CancellationToken, Task> _commit;
    private readonly int _maxBatchEvents;
    private readonly Task _loop;
    private long _batches;

    public GroupCommitWriter(Func<IReadOnlyList<PendingAppend>, CancellationToken, Task> commit, int maxBatchEvents)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatchEvents, 1);
        _commit = commit;
        _maxBatchEvents = maxBatchEvents;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Transactions committed so far (each holding one or more appends).</summary>
    public long CommittedBatches => Interlocked.Read(ref _batches);

    public Task AppendAsync(IReadOnlyList<PersistentEvent> events, CancellationToken cancellationToken)
    {
        ValidateAppend(events);
        if (events.Count == 0)
        {
            return Task.CompletedTask;
        }

        cancellationToken.ThrowIfCancellationRequested();
        var pending = new PendingAppend(events);
        if (!_queue.Writer.TryWrite(pending))
        {
            throw new ObjectDisposedException(nameof(IJournal), "the journal is closed");
        }

        // Cancelling stops the wait, not the write: an append already queued may still be
        // committed, it is just not acknowledged to this caller.
        return cancellationToken.CanBeCanceled ? pending.Completion.Task.WaitAsync(cancellationToken) : pending.Completion.Task;
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }

    internal static void ValidateAppend(IReadOnlyList<PersistentEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i];
            ArgumentException.ThrowIfNullOrEmpty(e.PersistenceId);
            if (e.SequenceNr < 1)
            {
                throw new ArgumentException($"sequence numbers start at 1, got {e.SequenceNr} for '{e.PersistenceId}'", nameof(events));
            }

            if (i > 0 && (e.PersistenceId != events[0].PersistenceId || e.SequenceNr != events[i - 1].SequenceNr + 1))
            {
                throw new ArgumentException("an atomic append holds consecutive sequence numbers of one persistence id", nameof(events));
            }
        }
    }

    private async Task RunAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<PendingAppend>();
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            // The callers just released by the previous commit are about to append again;
            // yielding once lets those already runnable join this batch instead of the next.
            await Task.Yield();
            batch.Clear();
            var events = 0;
            while (events < _maxBatchEvents && reader.TryRead(out var pending))
            {
                batch.Add(pending);
                events += pending.Events.Count;
            }

            await CommitAsync(batch).ConfigureAwait(false);
        }
    }

    private async Task CommitAsync(List<PendingAppend> batch)
    {
        try
        {
            await _commit(batch, CancellationToken.None).ConfigureAwait(false);
            Interlocked.Increment(ref _batches);
            foreach (var pending in batch)
            {
                pending.Completion.TrySetResult();
            }
        }
        catch (JournalConflictException) when (batch.Count > 1)
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

/// <summary>One caller's atomic append waiting for its group commit.</summary>
internal sealed class PendingAppend(IReadOnlyList<PersistentEvent> events)
{
    public IReadOnlyList<PersistentEvent> Events { get; } = events;

    // Continuations run elsewhere so a caller's code never runs inside the writer loop.
    public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string PersistenceId => Events[0].PersistenceId;

    public long FromSequenceNr => Events[0].SequenceNr;

    public long ToSequenceNr => Events[^1].SequenceNr;
}
