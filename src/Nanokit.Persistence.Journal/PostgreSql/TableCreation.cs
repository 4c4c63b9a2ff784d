namespace Nanokit.Persistence.Journal.PostgreSql;

/// <summary>
/// The plugins' tables, created at first use until that succeeds. Uses that arrive while an attempt runs share it;
/// an attempt that failed (PostgreSQL restarting, a connect or lock wait timing out on a loaded machine) is not kept,
/// so the next use tries again. A <c>Lazy&lt;Task&gt;</c> kept the first failure: every later write and read of the
/// process failed with it, so a node whose first use of the journal met a passing fault could never persist or
/// recover a project again until it was restarted.
/// </summary>
internal sealed class TableCreation(Func<Task> create)
{
    private readonly object _gate = new();
    private Task? _attempt;

    /// <summary>Completes when the tables exist; faults when this attempt failed (the next call makes a new one).</summary>
    public Task EnsureAsync()
    {
        lock (_gate)
        {
            if (_attempt is null || _attempt.IsFaulted || _attempt.IsCanceled)
            {
                _attempt = create();
            }

            return _attempt;
        }
    }
}
