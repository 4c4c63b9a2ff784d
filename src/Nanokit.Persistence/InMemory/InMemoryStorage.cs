using System.Collections.Immutable;
using Nanokit.Persistence.Serialization;

namespace Nanokit.Persistence.InMemory;

/// <summary>
/// The "database" behind the in-memory engines. Journals and snapshot stores opened over
/// the same storage see the same data, the way two processes share one SQL database,
/// which is what restart and upcasting tests need. Payloads are kept serialized so the
/// in-memory engine exercises the same manifests and upcasters as the SQL engines.
/// </summary>
public sealed class InMemoryStorage
{
    internal object Gate { get; } = new();

    internal Dictionary<string, SortedList<long, StoredEvent>> Events { get; } = new(StringComparer.Ordinal);

    internal Dictionary<string, long> DeletedTo { get; } = new(StringComparer.Ordinal);

    internal SortedList<long, StoredEvent> ByOrdering { get; } = [];

    internal Dictionary<string, SortedList<long, StoredSnapshot>> Snapshots { get; } = new(StringComparer.Ordinal);

    internal long LastOrdering { get; set; }
}

internal sealed record StoredEvent(
    long Ordering,
    string PersistenceId,
    long SequenceNr,
    SerializedPayload Payload,
    ImmutableArray<string> Tags,
    long WrittenAtMs);

internal sealed record StoredSnapshot(long SequenceNr, long CreatedAtMs, SerializedPayload Payload);
