using Akka.Persistence;

namespace Nanokit.Reconciler;

/// <summary>
/// Snapshots keep a project's journal bounded: every <see cref="ReconcilerSettings.SnapshotEvery"/> events the
/// whole persisted state is saved, and once it is durable the events it covers and the older snapshots are
/// deleted. Until then they stay, so a crash at any step recovers from the previous snapshot (or none) plus the
/// events. A failure is logged and left to the next snapshot: nothing is lost, the journal is only longer.
/// </summary>
internal sealed partial class ProjectActor
{
    private long snapshotAt;
    private long latestSnapshot;
    private void Apply(SnapshotOffer offer)
    {
        var snapshot = (ProjectSnapshot)offer.Snapshot;
        Apply(snapshot.Intent);
        observedGeneration = snapshot.ObservedGeneration;
        lastRun = snapshot.LastRun;
        Apply(snapshot.RestartCounts.IsDefault ? [] : snapshot.RestartCounts);
        snapshotAt = offer.Metadata.SequenceNr;
    }

    /// <summary>
    /// Called right after an event is applied. Counting from the last snapshot (not a multiple of the interval)
    /// also compacts a journal written before snapshots existed at its next event.
    /// </summary>
    private void SnapshotIfDue()
    {
        if (settings.SnapshotEvery == 0 || intent is null || LastSequenceNr - snapshotAt < settings.SnapshotEvery)
        {
            return;
        }

        // Counted from the attempt, not its success: a failing store is retried after another interval, not on every event.
        snapshotAt = LastSequenceNr;
        SaveSnapshot(new ProjectSnapshot(intent, observedGeneration, lastRun) { RestartCounts = RestartCounts });
    }

    /// <summary>
    /// Saves run concurrently and may finish out of order: a snapshot that becomes durable after a newer one is
    /// deleted by its own success, since the deletion always keeps only the newest snapshot known to be durable.
    /// </summary>
    private void Compact(SaveSnapshotSuccess saved)
    {
        latestSnapshot = Math.Max(latestSnapshot, saved.Metadata.SequenceNr);
        DeleteMessages(latestSnapshot);
        DeleteSnapshots(new SnapshotSelectionCriteria(latestSnapshot - 1));
    }
}
