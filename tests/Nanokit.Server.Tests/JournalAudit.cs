using Npgsql;

namespace Nanokit.Server.Tests;

/// <summary>
/// Checks a cluster's journal (nanokit.nanokit_journal, where Nanokit's PostgreSQL plugin writes every persistent actor)
/// for the sign of two live incarnations of one entity: per persistence id the sequence numbers are contiguous (only a
/// compacted prefix may be gone), and each writer (an actor incarnation's writer uuid) appended one unbroken run — once
/// another incarnation has written, the earlier one never writes again — with write times that never go back.
/// </summary>
internal static class JournalAudit
{
    /// <summary>Returns how many persistence ids were checked (at least <paramref name="atLeast"/>, or the audit saw nothing).</summary>
    public static async Task<int> AssertOneWriterAtATimeAsync(string store, int atLeast)
    {
        var rows = new List<(string Id, long Seq, string Writer, long At)>();
        // Unpooled: a pooled connection may predate a PostgreSQL restart the test made, and fail on first use.
        await using (var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(store) { Pooling = false }.ToString()))
        {
            await connection.OpenAsync();
            await using var query = new NpgsqlCommand(
                "SELECT persistence_id, sequence_nr, writer_uuid, written_at FROM nanokit.nanokit_journal ORDER BY persistence_id, sequence_nr;", connection);
            await using var reader = await query.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                rows.Add((reader.GetString(0), reader.GetInt64(1), reader.GetString(2), reader.GetInt64(3)));
            }
        }

        var ids = rows.GroupBy(r => r.Id).ToList();
        Assert.True(ids.Count >= atLeast, $"the journal holds {ids.Count} persistence ids, expected at least {atLeast}");
        foreach (var id in ids)
        {
            var events = id.ToList();
            for (var i = 1; i < events.Count; i++)
            {
                var (before, after) = (events[i - 1], events[i]);
                Assert.True(after.Seq == before.Seq + 1, $"{id.Key}: sequence number {after.Seq} follows {before.Seq}");
                Assert.True(after.At >= before.At, $"{id.Key}: event {after.Seq} was written at {after.At}, before event {before.Seq} at {before.At}");
            }

            var writers = new List<string>();
            foreach (var e in events)
            {
                if (writers.Count > 0 && writers[^1] == e.Writer)
                {
                    continue;
                }

                Assert.False(writers.Contains(e.Writer), $"{id.Key}: writer {e.Writer} wrote event {e.Seq} after another incarnation had written");
                writers.Add(e.Writer);
            }
        }

        return ids.Count;
    }
}
