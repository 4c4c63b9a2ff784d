namespace Nanokit.Runtime;

/// <summary>
/// A runtime that keeps each replica's last health verdict beyond its own process. One whose health lives in memory
/// (the local runtime) implements it so that a new process — <c>nkapp status</c> — can say what the last run saw
/// while its own first probes have no verdict yet. Docker keeps health itself and does not need it.
/// </summary>
public interface IRecordedHealth
{
    /// <summary>The last verdict recorded for the replica's current incarnation, or null when none was (or it belongs to an earlier one).</summary>
    Task<RecordedHealth?> LastHealthAsync(ReplicaId replica, CancellationToken cancellationToken);
}
