using Microsoft.Extensions.Logging;
using Nanokit.Actors;
using Nanokit.Persistence.Journal;
using Nanokit.Persistence.Snapshots;

namespace Nanokit.Persistence;

/// <summary>
/// Recovery: a task reads the snapshot and then the journal in pages, sending each to the
/// actor as one message (so a page costs one mailbox hop, not one per event), and the
/// actor folds them through the recovery handlers in order. Commands are stashed meanwhile.
/// </summary>
public abstract partial class PersistentActor
{
    private void StartRecoveryTask()
    {
        _settings = _explicitSettings ?? Persistence.Get(Context.System);
        _logger = Context.System.Settings.LoggerFactory.CreateLogger("Nanokit.Persistence.PersistentActor");
        var (self, owner, settings, pid, criteria) = (Self, this, _settings, PersistenceIdCached, RecoverySnapshotCriteria);
        _ = Task.Run(() => RecoverAsync(self, owner, settings, pid, criteria));
    }

    private static async Task RecoverAsync(IActorRef self, PersistentActor owner, PersistenceSettings settings, string persistenceId, SnapshotSelectionCriteria criteria)
    {
        try
        {
            // The timeout bounds each call (each page), not the whole recovery of a long journal.
            using var timeout = new CancellationTokenSource(settings.JournalCallTimeout);
            var snapshot = await settings.SnapshotStore.LoadAsync(persistenceId, criteria, timeout.Token).ConfigureAwait(false);
            self.Tell(new RecoverySnapshot(owner, snapshot), ActorRefs.NoSender);
            var from = (snapshot?.Metadata.SequenceNr ?? 0) + 1;
            while (true)
            {
                timeout.CancelAfter(settings.JournalCallTimeout);
                var page = new List<PersistentEvent>();
                await foreach (var e in settings.Journal.ReadAsync(persistenceId, from, long.MaxValue, settings.RecoveryPageSize, timeout.Token).ConfigureAwait(false))
                {
                    page.Add(e);
                }

                if (page.Count > 0)
                {
                    self.Tell(new RecoveryPage(owner, page), ActorRefs.NoSender);
                }

                if (page.Count < settings.RecoveryPageSize)
                {
                    break;
                }

                from = page[^1].SequenceNr + 1;
            }

            timeout.CancelAfter(settings.JournalCallTimeout);
            var highest = await settings.Journal.ReadHighestSequenceNrAsync(persistenceId, timeout.Token).ConfigureAwait(false);
            self.Tell(new RecoveryFinished(owner, highest), ActorRefs.NoSender);
        }
        catch (Exception e)
        {
            self.Tell(new RecoveryFailure(owner, e), ActorRefs.NoSender);
        }
    }

    private void HandleRecoverySignal(PersistenceSignal signal)
    {
        if (_failed)
        {
            return;
        }

        try
        {
            switch (signal)
            {
                case RecoverySnapshot { Snapshot: { } snapshot }:
                    LastSequenceNr = snapshot.Metadata.SequenceNr;
                    ApplyRecovery(new SnapshotOffer(snapshot.Metadata, snapshot.Snapshot));
                    break;
                case RecoveryPage page:
                    foreach (var e in page.Events)
                    {
                        LastSequenceNr = e.SequenceNr;
                        ApplyRecovery(e.Payload);
                    }

                    break;
                case RecoveryFinished finished:
                    // Deleted events leave no rows but keep their sequence numbers taken.
                    LastSequenceNr = Math.Max(LastSequenceNr, finished.HighestSequenceNr);
                    _lastAssignedSequenceNr = LastSequenceNr;
                    _recovering = false;
                    ApplyRecovery(RecoveryCompleted.Instance);
                    AfterTurn();
                    break;
                case RecoveryFailure failure:
                    FailRecovery(failure.Cause);
                    break;
            }
        }
        catch (Exception e) when (_recovering)
        {
            // A recovery handler that throws leaves the state half-folded: stop, do not restart in place.
            FailRecovery(e);
        }
    }

    private void ApplyRecovery(object message)
    {
        if (_recovery.TryFind(message, out var handler))
        {
            handler(message);
        }
        else if (message is not (SnapshotOffer or RecoveryCompleted))
        {
            Unhandled(message);
        }
    }

    private void FailRecovery(Exception cause)
    {
        _failed = true;
        _logger!.RecoveryFailed(Self.Path, PersistenceIdCached, cause);
        try
        {
            OnRecoveryFailure(cause);
        }
        finally
        {
            Context.Stop(Self);
        }
    }
}
