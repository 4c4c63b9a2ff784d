using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace Nanokit.Cli.Tests;

/// <summary>
/// A state file that cannot be written or read ends a command with one line naming the file and what to do (issue 9,
/// items 3 and 5, at the persistence depth): never a stack trace, a loop of restarts, or a silent fresh start.
/// </summary>
public sealed class StateStoreTests : IDisposable
{
    /// <summary>A failing `up` must end long before this; the loop it replaces never ended.</summary>
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(60);

    private readonly CliRun cli = new();
    private readonly string marker = Random.Shared.Next(10_000, 99_999).ToString();

    public void Dispose()
    {
        RealProcesses.KillAll($"sleep {marker}");
        SqliteConnection.ClearAllPools();
        cli.Dispose();
    }

    private string StatePath => Path.Combine(cli.Directory, ".nanokit", "state.db");

    private string Project(string version) => $"""
        name: stored
        services:
          web:
            command: [sleep, "{marker}{version}"]
        """;

    [Fact]
    public async Task Up_ends_with_one_line_naming_the_state_file_when_the_journal_cannot_be_written()
    {
        cli.Write("nanokit.yml", Project("1"));
        Assert.Equal(0, (await cli.RunAsync("up")).Exit);
        Execute($"CREATE TRIGGER disk_full BEFORE INSERT ON {JournalTable()} BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;");
        cli.Write("nanokit.yml", Project("2"));

        var (exit, _, error) = await cli.RunAsync("up").WaitAsync(Bounded);

        Assert.Equal(1, exit);
        Assert.Contains(StatePath, error);
        Assert.Contains("database or disk is full", error);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        Execute("DROP TRIGGER disk_full;");
        var again = await cli.RunAsync("up");
        Assert.True(again.Exit == 0, again.Out + again.Error);
        Assert.Contains("stored: generation 2 converged", again.Out);
    }

    [Fact]
    public async Task A_state_file_of_the_previous_version_is_refused_with_what_to_do_and_down_still_removes_what_runs()
    {
        cli.Write("nanokit.yml", Project("1"));
        Assert.Equal(0, (await cli.RunAsync("up")).Exit);
        SqliteConnection.ClearAllPools();
        File.Delete(StatePath);
        WritePreviousEngineStateFile(StatePath);
        var before = File.ReadAllBytes(StatePath);

        var up = await cli.RunAsync("up");

        Assert.Equal(1, up.Exit);
        Assert.Contains(StatePath, up.Error);
        Assert.Contains("earlier version of Nanokit", up.Error);
        Assert.Contains($"mv {StatePath} {StatePath}.old", up.Error);

        var down = await cli.RunAsync("down");

        Assert.True(down.Exit == 0, down.Out + down.Error);
        Assert.Contains("going on without the state file", down.Error);
        Assert.Equal(0, RealProcesses.Count("sleep", marker + "1"));
        Assert.Equal(before, File.ReadAllBytes(StatePath));
    }

    [Fact]
    public async Task A_state_file_written_through_Akka_Persistence_Sql_is_refused_by_the_default_engine_with_how_to_keep_it()
    {
        cli.Write("nanokit.yml", Project("1"));
        var akkaSql = await RunNkappAsync(new() { ["NANOKIT_STORE_ENGINE"] = "akka-sql" }, "up");
        Assert.True(akkaSql.Exit == 0, akkaSql.Output);
        Assert.Equal("journal", JournalTable());
        var before = File.ReadAllBytes(StatePath);

        var up = await cli.RunAsync("up");

        Assert.Equal(1, up.Exit);
        Assert.Single(up.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(StatePath, up.Error);
        Assert.Contains("NANOKIT_STORE_ENGINE=akka-sql", up.Error);
        Assert.Contains($"mv {StatePath} {StatePath}.old", up.Error);
        Assert.Equal(before, File.ReadAllBytes(StatePath));

        cli.Write("nanokit.yml", Project("2"));
        var kept = await RunNkappAsync(new() { ["NANOKIT_STORE_ENGINE"] = "akka-sql" }, "up");
        Assert.True(kept.Exit == 0, kept.Output);
        Assert.Contains("stored: generation 2 converged", kept.Output);
        Assert.Equal(0, (await RunNkappAsync(new() { ["NANOKIT_STORE_ENGINE"] = "akka-sql" }, "down")).Exit);
    }

    [Fact]
    public async Task A_state_file_of_garbage_is_reported_by_name_not_restarted_at_generation_one()
    {
        cli.Write("nanokit.yml", Project("1"));
        Directory.CreateDirectory(Path.GetDirectoryName(StatePath)!);
        File.WriteAllBytes(StatePath, [.. Enumerable.Range(0, 8192).Select(i => (byte)(i * 7919 % 251))]);

        foreach (var command in new[] { "up", "drift" })
        {
            var (exit, output, error) = await cli.RunAsync(command);

            Assert.Equal(1, exit);
            Assert.Contains(StatePath, error);
            Assert.Contains("not a SQLite database", error);
            Assert.DoesNotContain("generation 1", output);
        }
    }

    [Fact]
    public async Task A_state_directory_that_cannot_be_made_is_named_in_one_line()
    {
        cli.Write("nanokit.yml", Project("1"));
        cli.Write(".nanokit", "a file where the state directory belongs");

        var (exit, _, error) = await cli.RunAsync("up");

        Assert.Equal(1, exit);
        Assert.Contains(Path.Combine(cli.Directory, ".nanokit"), error);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(0, RealProcesses.Count("sleep", marker + "1"));
    }

    /// <summary>The tables Nanokit.Persistence (the engine before Akka.Persistence.Sql) created, with one event in them.</summary>
    private static void WritePreviousEngineStateFile(string path)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            CREATE TABLE schema_version (version INTEGER NOT NULL PRIMARY KEY, applied_at INTEGER NOT NULL);
            INSERT INTO schema_version VALUES (1, 0);
            CREATE TABLE journal (
                ordering INTEGER PRIMARY KEY AUTOINCREMENT, persistence_id TEXT NOT NULL, sequence_nr INTEGER NOT NULL,
                manifest TEXT NOT NULL, payload BLOB NOT NULL, tags TEXT NULL, written_at INTEGER NOT NULL,
                UNIQUE (persistence_id, sequence_nr));
            CREATE TABLE journal_tags (tag TEXT NOT NULL, ordering INTEGER NOT NULL, PRIMARY KEY (tag, ordering)) WITHOUT ROWID;
            CREATE TABLE journal_deleted (persistence_id TEXT NOT NULL PRIMARY KEY, deleted_to INTEGER NOT NULL) WITHOUT ROWID;
            CREATE TABLE snapshots (
                persistence_id TEXT NOT NULL, sequence_nr INTEGER NOT NULL, created_at INTEGER NOT NULL, manifest TEXT NOT NULL,
                payload BLOB NOT NULL, PRIMARY KEY (persistence_id, sequence_nr)) WITHOUT ROWID;
            INSERT INTO journal (persistence_id, sequence_nr, manifest, payload, written_at)
                VALUES ('project|stored', 1, 'nanokit.project.generation-accepted.v1', CAST('{"generation":1}' AS BLOB), 0);
            """;
        command.ExecuteNonQuery();
    }

    /// <summary>The journal table of the engine that wrote the state file: Nanokit's plugins' or Akka.Persistence.Sql's.</summary>
    private string JournalTable()
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = StatePath, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('nanokit_journal', 'journal');";
        return (string)command.ExecuteScalar()!;
    }

    /// <summary>nkapp as a child process, with <paramref name="environment"/> added to this one's (the engine is read from the process).</summary>
    private async Task<(int Exit, string Output)> RunNkappAsync(Dictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = cli.Directory, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "nkapp.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(Bounded);
        return (process.ExitCode, await output + await error);
    }

    private void Execute(string sql)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = StatePath, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
