using System.Collections.Immutable;

namespace Nanokit.Persistence.Journal;

/// <summary>One event of one persistence id, as written to and read from a journal.</summary>
public sealed record PersistentEvent(
    string PersistenceId,
    long SequenceNr,
    object Payload,
    ImmutableArray<string> Tags,
    DateTimeOffset Timestamp)
{
    public static PersistentEvent Create(string persistenceId, long sequenceNr, object payload, params string[] tags) =>
        new(persistenceId, sequenceNr, payload, [.. tags], DateTimeOffset.UtcNow);
}

/// <summary>An event found by a tag query, with its global offset (resume after it).</summary>
public sealed record TaggedEvent(long Offset, PersistentEvent Event);
