namespace Nanokit.Actors.Supervision;

/// <summary>Restarts of one child within the current window; kept by the parent, only for children that failed.</summary>
internal sealed class RestartStatistics
{
    private int _restarts;
    private long _windowStart;

    public bool RequestRestartPermission(int maxNrOfRetries, TimeSpan within, long now, TimeProvider time)
    {
        if (maxNrOfRetries < 0)
        {
            return true;
        }

        if (maxNrOfRetries == 0)
        {
            return false;
        }

        if (within == Timeout.InfiniteTimeSpan || within <= TimeSpan.Zero)
        {
            return ++_restarts <= maxNrOfRetries;
        }

        if (_restarts == 0 || time.GetElapsedTime(_windowStart, now) > within)
        {
            _windowStart = now;
            _restarts = 1;
            return true;
        }

        return ++_restarts <= maxNrOfRetries;
    }
}
