namespace Nanokit.Persistence.Journal;

/// <summary>One event as stored: the payload as Akka's serializer wrote it, with that serializer's id and manifest.</summary>
internal sealed record EventRow(
    string PersistenceId,
    long SequenceNr,
    int SerializerId,
    string Manifest,
    byte[] Payload,
    string WriterUuid,
    long Timestamp);

/// <summary>One snapshot as stored.</summary>
internal sealed record SnapshotRow(string PersistenceId, long SequenceNr, long CreatedTicks, int SerializerId, string Manifest, byte[] Payload);
