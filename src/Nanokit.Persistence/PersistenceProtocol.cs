using Nanokit.Persistence.Snapshots;

namespace Nanokit.Persistence;

/// <summary>Offered to the recovery handlers first when a snapshot was found; the events after it follow.</summary>
public sealed record SnapshotOffer(SnapshotMetadata Metadata, object Snapshot);

/// <summary>Delivered to the recovery handlers after the last replayed event; commands follow.</summary>
public sealed record RecoveryCompleted
{
    public static RecoveryCompleted Instance { get; } = new();
}

/// <summary>Sent to the actor itself when <c>SaveSnapshot</c> is durable.</summary>
public sealed record SaveSnapshotSucceeded(SnapshotMetadata Metadata);

/// <summary>Sent to the actor itself when <c>SaveSnapshot</c> failed; the actor keeps running.</summary>
public sealed record SaveSnapshotFailed(SnapshotMetadata Metadata, Exception Cause);

/// <summary>Sent to the actor itself when <c>DeleteMessages</c> completed.</summary>
public sealed record DeleteMessagesSucceeded(long ToSequenceNr);

/// <summary>Sent to the actor itself when <c>DeleteMessages</c> failed; the actor keeps running.</summary>
public sealed record DeleteMessagesFailed(long ToSequenceNr, Exception Cause);

/// <summary>Sent to the actor itself when <c>DeleteSnapshots</c> completed.</summary>
public sealed record DeleteSnapshotsSucceeded(SnapshotSelectionCriteria Criteria);

/// <summary>Sent to the actor itself when <c>DeleteSnapshots</c> failed; the actor keeps running.</summary>
public sealed record DeleteSnapshotsFailed(SnapshotSelectionCriteria Criteria, Exception Cause);
