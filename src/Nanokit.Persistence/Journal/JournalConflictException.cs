namespace Nanokit.Persistence.Journal;

/// <summary>
/// An append hit a sequence number that is already taken: another writer owns this
/// persistence id (or this writer's view of it is stale). Never retried blindly.
/// </summary>
public sealed class JournalConflictException : Exception
{
    public JournalConflictException(string persistenceId, long fromSequenceNr, long toSequenceNr, Exception? innerException = null)
        : base($"journal conflict: sequence numbers {fromSequenceNr}..{toSequenceNr} of '{persistenceId}' are already taken; is another writer running for this persistence id?", innerException)
    {
        PersistenceId = persistenceId;
        FromSequenceNr = fromSequenceNr;
        ToSequenceNr = toSequenceNr;
    }

    public string PersistenceId { get; }

    public long FromSequenceNr { get; }

    public long ToSequenceNr { get; }
}
