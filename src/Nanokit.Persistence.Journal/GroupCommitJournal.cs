using System.Collections.Immutable;
using Akka.Actor;
using Akka.Persistence;
using Akka.Persistence.Journal;

namespace Nanokit.Persistence.Journal;

/// <summary>
/// The Akka.Persistence journal over an <see cref="IEventStore"/>: every request is serialized here (a payload that
/// cannot be serialized rejects its atomic write only) and committed with other actors' requests by the
/// <see cref="GroupCommitWriter"/>.
/// </summary>
public abstract class GroupCommitJournal : AsyncWriteJournal
{
    private readonly PayloadCodec _codec;
    private readonly IEventStore _store;
    private readonly GroupCommitWriter _writer;

    private protected GroupCommitJournal(IEventStore store, int maxBatchEvents)
    {
        _codec = new PayloadCodec(Context.System);
        _store = store;
        _writer = new GroupCommitWriter(store.CommitAsync, maxBatchEvents);
    }

    public override async Task ReplayMessagesAsync(
        IActorContext context, string persistenceId, long fromSequenceNr, long toSequenceNr, long max, Action<IPersistentRepresentation> recoveryCallback)
    {
        if (max <= 0 || toSequenceNr < fromSequenceNr)
        {
            return;
        }

        await _store.ReplayAsync(persistenceId, fromSequenceNr, toSequenceNr, max, row => recoveryCallback(_codec.Decode(row)), CancellationToken.None);
    }

    public override Task<long> ReadHighestSequenceNrAsync(string persistenceId, long fromSequenceNr, CancellationToken cancellationToken = default) =>
        _store.ReadHighestAsync(persistenceId, cancellationToken);

    protected override async Task<IImmutableList<Exception?>> WriteMessagesAsync(IEnumerable<AtomicWrite> messages, CancellationToken cancellationToken = default)
    {
        var rows = new List<EventRow>();
        var results = ImmutableList.CreateBuilder<Exception?>();
        var rejected = false;
        foreach (var write in messages)
        {
            try
            {
                var encoded = ((IImmutableList<IPersistentRepresentation>)write.Payload).Select(_codec.Encode).ToList();
                rows.AddRange(encoded);
                results.Add(null);
            }
            catch (Exception e)
            {
                results.Add(e);
                rejected = true;
            }
        }

        await _writer.WriteAsync(rows, cancellationToken);
        return rejected ? results.ToImmutable() : null!;
    }

    protected override Task DeleteMessagesToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken = default) =>
        _store.DeleteToAsync(persistenceId, toSequenceNr, cancellationToken);

    protected override void PostStop()
    {
        // The journal stops with the actor system: queued writes are committed (or failed) before the store closes.
        CloseAsync().GetAwaiter().GetResult();
        base.PostStop();
    }

    private async Task CloseAsync()
    {
        await _writer.DisposeAsync().ConfigureAwait(false);
        await _store.DisposeAsync().ConfigureAwait(false);
    }
}
