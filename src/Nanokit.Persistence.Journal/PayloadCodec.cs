using Akka.Actor;
using Akka.Persistence;

namespace Nanokit.Persistence.Journal;

/// <summary>
/// Payloads go through Akka's serialization, so the bindings in hocon/akka.conf (ReconcilerSerializer's stable
/// manifests) decide the bytes; the serializer id and manifest are stored beside them and used to read them back.
/// </summary>
internal sealed class PayloadCodec(ActorSystem system)
{
    private readonly Akka.Serialization.Serialization _serialization = system.Serialization;

    public EventRow Encode(IPersistentRepresentation message)
    {
        var payload = message.Payload;
        var serializer = _serialization.FindSerializerFor(payload);
        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, payload);
        return new EventRow(
            message.PersistenceId,
            message.SequenceNr,
            serializer.Identifier,
            manifest,
            serializer.ToBinary(payload),
            message.WriterGuid,
            message.Timestamp == 0 ? DateTime.UtcNow.Ticks : message.Timestamp);
    }

    public Persistent Decode(EventRow row) => new(
        _serialization.Deserialize(row.Payload, row.SerializerId, row.Manifest),
        row.SequenceNr,
        row.PersistenceId,
        string.Empty,
        false,
        ActorRefs.NoSender,
        row.WriterUuid,
        row.Timestamp);

    public SnapshotRow Encode(SnapshotMetadata metadata, object snapshot)
    {
        var serializer = _serialization.FindSerializerFor(snapshot);
        return new SnapshotRow(
            metadata.PersistenceId,
            metadata.SequenceNr,
            metadata.Timestamp.Ticks,
            serializer.Identifier,
            Akka.Serialization.Serialization.ManifestFor(serializer, snapshot),
            serializer.ToBinary(snapshot));
    }

    public SelectedSnapshot Decode(SnapshotRow row) => new(
        new SnapshotMetadata(row.PersistenceId, row.SequenceNr, new DateTime(row.CreatedTicks, DateTimeKind.Utc)),
        _serialization.Deserialize(row.Payload, row.SerializerId, row.Manifest));
}
