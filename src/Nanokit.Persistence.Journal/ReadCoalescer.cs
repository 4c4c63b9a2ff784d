using System.Diagnostics;
using System.Threading.Channels;

namespace Nanokit.Persistence.Journal;

/// <summary>
/// Answers many actors' reads of one kind with one query. When a node starts, hundreds of entities recover at once and
/// each asks the journal for its highest sequence number, then its events, and the snapshot store for its snapshot:
/// one round trip each would make recovery a function of round-trip latency times actors. Requests queue here; a loop
/// takes whatever has queued (up to a bound) and answers all of it with one query (<c>… = ANY(ids)</c> /
/// <c>unnest(…) CROSS JOIN LATERAL</c>). As with <see cref="GroupCommitWriter"/> batching is natural, not timed: a
/// lone request is sent at once, and requests arriving while a query runs share the next one. Up to
/// <c>parallelism</c> queries run at once, so one slow query does not hold every other actor's recovery.
/// A failed query fails each of its requests (each actor's recovery fails as it would on its own query).
/// </summary>
internal sealed class ReadCoalescer<TRequest, TResult> : IAsyncDisposable
{
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Func<IReadOnlyList<TRequest>, Task<TResult[]>> _query;
    private readonly string _name;
    private readonly int _maxBatch;
    private readonly SemaphoreSlim _slots;
    private readonly Task _loop;

    /// <param name="name">The query's name in <see cref="JournalMetrics"/> (replay, highest, snapshot).</param>
    /// <param name="query">Answers a batch: one result per request, in the requests' order.</param>
    public ReadCoalescer(string name, Func<IReadOnlyList<TRequest>, Task<TResult[]>> query, int maxBatch, int parallelism)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(parallelism, 1);
        (_name, _query, _maxBatch) = (name, query, maxBatch);
        _slots = new SemaphoreSlim(parallelism, parallelism);
        _loop = Task.Run(RunAsync);
    }

    public Task<TResult> ReadAsync(TRequest request, CancellationToken cancellationToken)
    {
        var pending = new Pending(request);
        if (!_queue.Writer.TryWrite(pending))
        {
            throw new ObjectDisposedException(nameof(ReadCoalescer<TRequest, TResult>), "the journal is stopping");
        }

        // Cancelling stops the wait; the query may still run for the others of its batch.
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
        var running = new List<Task>();
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            await _slots.WaitAsync().ConfigureAwait(false);
            var batch = new List<Pending>();
            while (batch.Count < _maxBatch && reader.TryRead(out var pending))
            {
                batch.Add(pending);
            }

            running.RemoveAll(t => t.IsCompleted);
            running.Add(AnswerAsync(batch));
        }

        await Task.WhenAll(running).ConfigureAwait(false);
    }

    private async Task AnswerAsync(List<Pending> batch)
    {
        try
        {
            var started = Stopwatch.GetTimestamp();
            var results = await _query(batch.ConvertAll(p => p.Request)).ConfigureAwait(false);
            JournalMetrics.Read(_name, batch.Count, Stopwatch.GetElapsedTime(started));
            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Completion.TrySetResult(results[i]);
            }
        }
        catch (Exception e)
        {
            foreach (var pending in batch)
            {
                pending.Completion.TrySetException(e);
            }
        }
        finally
        {
            _slots.Release();
        }
    }

    private sealed class Pending(TRequest request)
    {
        public TRequest Request { get; } = request;

        // Continuations (decoding, the actor's callback) run elsewhere, never inside the loop.
        public TaskCompletionSource<TResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
