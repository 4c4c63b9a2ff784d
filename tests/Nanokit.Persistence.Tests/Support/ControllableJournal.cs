using Nanokit.Persistence.Journal;

namespace Nanokit.Persistence.Tests.Support;

/// <summary>
/// Wraps a journal so a test can hold appends at a gate (to observe what happens while a
/// write is in flight) or make appends and reads fail (to simulate an unreachable database).
/// </summary>
public sealed class ControllableJournal(IJournal inner) : IJournal
{
    private volatile TaskCompletionSource _gate = Open();
    private volatile bool _failAppends;
    private volatile bool _failReads;
    private int _appendsStarted;

    public int AppendsStarted => Volatile.Read(ref _appendsStarted);

    public void CloseGate() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void OpenGate() => _gate.TrySetResult();

    public void FailAppends(bool fail) => _failAppends = fail;

    public void FailReads(bool fail) => _failReads = fail;

    public async Task AppendAsync(IReadOnlyList<PersistentEvent> events, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _appendsStarted);
        await _gate.Task.WaitAsync(cancellationToken);
        if (_failAppends)
        {
            throw new InvalidOperationException("simulated journal outage");
        }

        await inner.AppendAsync(events, cancellationToken);
    }

    public IAsyncEnumerable<PersistentEvent> ReadAsync(string persistenceId, long fromSequenceNr, long toSequenceNr, long max, CancellationToken cancellationToken) =>
        _failReads ? throw new InvalidOperationException("simulated journal outage") : inner.ReadAsync(persistenceId, fromSequenceNr, toSequenceNr, max, cancellationToken);

    public Task<long> ReadHighestSequenceNrAsync(string persistenceId, CancellationToken cancellationToken) =>
        inner.ReadHighestSequenceNrAsync(persistenceId, cancellationToken);

    public Task DeleteToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken) =>
        inner.DeleteToAsync(persistenceId, toSequenceNr, cancellationToken);

    public Task<IReadOnlyList<TaggedEvent>> ReadByTagAsync(string tag, long afterOffset, int max, CancellationToken cancellationToken) =>
        inner.ReadByTagAsync(tag, afterOffset, max, cancellationToken);

    private static TaskCompletionSource Open()
    {
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        open.SetResult();
        return open;
    }
}
