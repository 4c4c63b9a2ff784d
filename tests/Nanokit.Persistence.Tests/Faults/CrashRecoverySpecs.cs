using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Nanokit.Persistence.Journal;
using Nanokit.Persistence.PostgreSql;
using Nanokit.Persistence.Sqlite;
using Nanokit.Persistence.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Nanokit.Persistence.Tests.Faults;

/// <summary>
/// A writer process is killed with SIGKILL while its group commits are in flight, then
/// started again (it recovers and writes on) and killed again. Afterwards every event it
/// acknowledged is in the journal, and every entity's sequence numbers run 1..n without gaps.
/// </summary>
public sealed class CrashRecoverySpecs(ITestOutputHelper output)
{
    private const int AcksBeforeKill = 400;
    private const int Rounds = 2;

    [Fact]
    public async Task Every_event_acknowledged_by_a_SQLite_writer_killed_mid_batch_is_in_the_journal_without_gaps()
    {
        var directory = Directory.CreateTempSubdirectory("nanokit-crash-").FullName;
        try
        {
            var path = Path.Combine(directory, "journal.db");
            var acked = await RunAndKillAsync(["sqlite", path]);
            var options = new SqliteStoreOptions(path);
            await using var journal = await SqliteJournal.OpenAsync(options, CounterActor.Registry, default);
            await AssertAllAckedAndGaplessAsync(journal, acked);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Every_event_acknowledged_by_a_PostgreSQL_writer_killed_mid_batch_is_in_the_journal_without_gaps()
    {
        await TestPostgres.EnsureReachableAsync();
        var options = new PostgreSqlStoreOptions { Schema = TestPostgres.NewSchemaName() };
        try
        {
            var acked = await RunAndKillAsync(["postgresql", TestPostgres.ConnectionString, options.Schema]);
            await using var journal = await PostgreSqlJournal.OpenAsync(TestPostgres.DataSource, options, CounterActor.Registry, default);
            await AssertAllAckedAndGaplessAsync(journal, acked);
        }
        finally
        {
            await TestPostgres.DropSchemaAsync(options.Schema);
        }
    }

    private static async Task AssertAllAckedAndGaplessAsync(IJournal journal, Dictionary<(string Id, long SequenceNr), int> acked)
    {
        for (var i = 0; i < CrashProbe.Counters; i++)
        {
            var id = $"probe-{i}";
            var events = await journal.ReadAsync(id, 1, long.MaxValue, long.MaxValue, default).ToListAsync();
            Assert.Equal(Enumerable.Range(1, events.Count).Select(n => (long)n), events.Select(e => e.SequenceNr));
            foreach (var ((_, seq), amount) in acked.Where(a => a.Key.Id == id))
            {
                Assert.True(seq <= events.Count, $"{id} acknowledged event {seq} but the journal ends at {events.Count}");
                Assert.Equal(new Added(amount), events[(int)seq - 1].Payload);
            }
        }
    }

    private async Task<Dictionary<(string Id, long SequenceNr), int>> RunAndKillAsync(string[] probeArguments)
    {
        var acked = new Dictionary<(string Id, long SequenceNr), int>();
        for (var round = 1; round <= Rounds; round++)
        {
            var roundAcks = 0;
            var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            start.ArgumentList.Add(typeof(CrashProbe).Assembly.Location);
            start.ArgumentList.Add(CrashProbe.Mode);
            foreach (var argument in probeArguments)
            {
                start.ArgumentList.Add(argument);
            }

            using var process = Process.Start(start)!;
            var stderr = process.StandardError.ReadToEndAsync();
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));

            // A hung probe is killed, which closes its output and ends the read loop below.
            await using var watchdog = deadline.Token.Register(() => process.Kill());
            while (roundAcks < AcksBeforeKill && await process.StandardOutput.ReadLineAsync(deadline.Token) is { } line)
            {
                if (line.Split(' ') is ["ack", var id, var seq, var amount])
                {
                    // A later round may not acknowledge a sequence number an earlier one did.
                    acked.Add((id, long.Parse(seq, System.Globalization.CultureInfo.InvariantCulture)), int.Parse(amount, System.Globalization.CultureInfo.InvariantCulture));
                    roundAcks++;
                }
            }

            if (roundAcks < AcksBeforeKill)
            {
                process.Kill();
                Assert.Fail($"the probe stopped after {roundAcks} acknowledgements: {await stderr}");
            }

            // Process.Kill sends SIGKILL on Unix: no flush, no finally blocks, no disposal.
            process.Kill();
            await process.WaitForExitAsync();
            output.WriteLine($"round {round}: killed after {roundAcks} acknowledgements");
        }

        return acked;
    }
}
