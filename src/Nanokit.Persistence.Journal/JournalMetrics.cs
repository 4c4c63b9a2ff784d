using System.Diagnostics.Metrics;

namespace Nanokit.Persistence.Journal;

/// <summary>
/// What the plugins do, as System.Diagnostics.Metrics instruments (meter <c>Nanokit.Persistence.Journal</c>, readable
/// with dotnet-counters): how full group commits get and how many queries recovery costs, which is what decides
/// throughput when many actors persist or recover at once.
/// </summary>
public static class JournalMetrics
{
    public const string MeterName = "Nanokit.Persistence.Journal";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>Events per group commit (one transaction). Unit: events.</summary>
    internal static readonly Histogram<int> CommitEvents =
        Meter.CreateHistogram<int>("nanokit.journal.commit.events", "{event}", "events written by one group commit");

    /// <summary>Time one group commit spends in the database, from its statement's start to its end. Unit: µs.</summary>
    internal static readonly Histogram<int> CommitMicroseconds =
        Meter.CreateHistogram<int>("nanokit.journal.commit.duration", "us", "time one group commit spends in the database");

    /// <summary>
    /// Actors' requests served by one coalesced read query (PostgreSQL: replay, highest sequence number, snapshot
    /// load), tagged <c>query</c>. Unit: requests.
    /// </summary>
    internal static readonly Histogram<int> ReadRequests =
        Meter.CreateHistogram<int>("nanokit.journal.read.requests", "{request}", "actors' read requests answered by one query");

    /// <summary>Time one coalesced read query takes, tagged <c>query</c>. Unit: µs.</summary>
    internal static readonly Histogram<int> ReadMicroseconds =
        Meter.CreateHistogram<int>("nanokit.journal.read.duration", "us", "time one coalesced read query takes");

    internal static void Read(string query, int requests, TimeSpan took)
    {
        var tag = new KeyValuePair<string, object?>("query", query);
        ReadRequests.Record(requests, tag);
        ReadMicroseconds.Record((int)took.TotalMicroseconds, tag);
    }
}
