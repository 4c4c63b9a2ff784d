using System.Diagnostics;
using Nanokit.Reconciler.Hosting;
using Npgsql;

namespace Nanokit.Cli.Tests;

/// <summary>
/// The embedded CLI with its state in PostgreSQL (NANOKIT_STORE or --store) instead of <c>.nanokit/state.db</c> (issue 10): the
/// same crash guarantees as on SQLite, and one writer per project across directories through the advisory lock.
/// Each test has a database of its own on NANOKIT_TEST_POSTGRES, dropped afterwards.
/// </summary>
public sealed class PostgresStateStoreTests : IDisposable
{
    private readonly CliRun cli = new();
    private readonly string marker = Random.Shared.Next(10_000, 99_999).ToString();
    private readonly TestDatabase database = new();

    public void Dispose()
    {
        RealProcesses.KillAll($"sleep {marker}");
        cli.Dispose();
        database.Dispose();
    }

    private Dictionary<string, string> Store => new() { [StateStore.Variable] = database.ConnectionString };

    private string Sleep(int n) => $"{marker}{n}";

    private string Project() => $"""
        name: pg-e2e
        services:
          store:
            command: [sh, -c, "sleep 0.3; touch ready; exec sleep {Sleep(1)}"]
            healthcheck: {"{"}test: [CMD-SHELL, test -f ready], interval: 1s, retries: 30{"}"}
            hooks: {"{"}prestart: [rm, -f, ready]{"}"}
          api:
            command: [sleep, "{Sleep(2)}"]
            deploy: {"{"}replicas: 2{"}"}
            depends_on: {"{"}store: {"{"}condition: service_healthy{"}"}{"}"}
        """;

    [Fact]
    public async Task Up_killed_with_SIGKILL_at_several_points_on_a_PostgreSQL_store_converges_without_duplicates_or_lost_intent()
    {
        var nkapp = Path.Combine(AppContext.BaseDirectory, "nkapp.dll");
        // Fixed delays cover start-up and recovery; the lines a run prints cover each step of the run itself.
        var killPoints = new object[] { 300, 900, 1600, "generation", "prestart", "applying", "waiting", "succeeded", "api      applying" };
        var replicas = 2;
        for (var n = 0; n < killPoints.Length; n++)
        {
            // Each run changes the spec, so every run has work to be interrupted in; the last one's intent must survive.
            replicas = 2 + n % 2;
            cli.Write("nanokit.yml", Project().Replace("replicas: 2", $"replicas: {replicas}"));
            var start = new ProcessStartInfo("dotnet", [nkapp, "up"]) { WorkingDirectory = cli.Directory, RedirectStandardOutput = true, RedirectStandardError = true };
            start.Environment[StateStore.Variable] = database.ConnectionString;
            using var child = Process.Start(start)!;
            if (killPoints[n] is int delay)
            {
                await Task.Delay(delay);
            }
            else
            {
                await ReadUntilAsync(child.StandardOutput, (string)killPoints[n]);
            }

            child.Kill();
            await child.WaitForExitAsync();
        }

        var final = await cli.RunAsync(Store, "up");

        Assert.True(final.Exit == 0, final.Out + final.Error);
        await ExpectProcessesAsync(1, Sleep(1));
        await ExpectProcessesAsync(replicas, Sleep(2));
        Assert.False(File.Exists(Path.Combine(cli.Directory, ".nanokit", "state.db")), "the state went to the file, not to PostgreSQL");
        Assert.True(database.JournalRows("pg-e2e") > 0, "no event of the project in PostgreSQL");
        Assert.Equal(0, (await cli.RunAsync(Store, "drift")).Exit);
        Assert.Equal(0, (await cli.RunAsync(Store, "down")).Exit);
        await ExpectProcessesAsync(0, Sleep(1));
        await ExpectProcessesAsync(0, Sleep(2));
    }

    [Fact]
    public async Task A_second_writer_of_the_project_is_refused_by_its_lock_in_PostgreSQL_and_told_who_holds_it()
    {
        cli.Write("nanokit.yml", Project());
        // Another checkout of the project (another directory, so the directory's own lock is free) holds it.
        using var held = PostgreSqlProjectLock.Acquire(database.ConnectionString, "pg-e2e", "up", TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));

        var (exit, output, error) = await cli.RunAsync(Store, "up");

        Assert.Equal(1, exit);
        Assert.Empty(output);
        Assert.Contains($"the project pg-e2e is locked in the PostgreSQL state store by nkapp up (pid {Environment.ProcessId}", error);
        await ExpectProcessesAsync(0, Sleep(1));
    }

    [Fact]
    public async Task The_store_flag_puts_the_state_in_PostgreSQL_as_the_variable_does_before_or_after_the_command()
    {
        cli.Write("nanokit.yml", Project());

        var up = await cli.RunAsync("up", "--store", database.ConnectionString);

        Assert.True(up.Exit == 0, up.Out + up.Error);
        await ExpectProcessesAsync(2, Sleep(2));
        Assert.False(File.Exists(Path.Combine(cli.Directory, ".nanokit", "state.db")), "the state went to the file, not to PostgreSQL");
        Assert.True(database.JournalRows("pg-e2e") > 0, "no event of the project in PostgreSQL");
        // The flag wins over the variable: a variable naming another (unusable) store is not read.
        var down = await cli.RunAsync(new Dictionary<string, string> { [StateStore.Variable] = "Host=x;Nonsense=1" }, "--store", database.ConnectionString, "down");
        Assert.True(down.Exit == 0, down.Out + down.Error);
        await ExpectProcessesAsync(0, Sleep(2));
    }

    [Fact]
    public async Task Up_whose_lock_session_is_terminated_mid_run_stops_writing_and_says_why()
    {
        // A dependency that never becomes healthy: up waits on it, holding the lock, until the lock's session is ended.
        cli.Write("nanokit.yml", $$$"""
            name: pg-e2e
            services:
              stuck:
                command: [sleep, "{{{Sleep(3)}}}"]
                healthcheck: {test: [CMD, "false"], interval: 1s, retries: 1000}
              after:
                command: [sleep, "{{{Sleep(4)}}}"]
                depends_on: {stuck: {condition: service_healthy}}
            """);
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "nkapp.dll"), "up"])
        {
            WorkingDirectory = cli.Directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment[StateStore.Variable] = database.ConnectionString;
        using var child = Process.Start(start)!;
        var error = child.StandardError.ReadToEndAsync();
        await ReadUntilAsync(child.StandardOutput, "waiting");

        Assert.Equal(1, database.TerminateLockHolder(child.Id));

        await Task.WhenAny(child.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(60)));
        Assert.True(child.HasExited, "nkapp up went on after the session holding its lock ended");
        Assert.Equal(1, child.ExitCode);
        Assert.Contains("the connection holding the project pg-e2e's lock in PostgreSQL ended", await error);
        // The writer is gone and the project is free for the next command.
        using var next = PostgreSqlProjectLock.Acquire(database.ConnectionString, "pg-e2e", "up", TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task A_store_variable_that_is_no_connection_string_is_named_in_one_line_without_its_value()
    {
        cli.Write("nanokit.yml", Project());

        var (exit, _, error) = await cli.RunAsync(new Dictionary<string, string> { [StateStore.Variable] = "Host=x;Nonsense=secret-value" }, "up");

        Assert.Equal(1, exit);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(StateStore.Variable, error);
        Assert.DoesNotContain("secret-value", error);
    }

    /// <summary>Reads <paramref name="output"/> until a line contains <paramref name="text"/>, or it ends (the run finished first).</summary>
    private static async Task ReadUntilAsync(StreamReader output, string text)
    {
        while (await output.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)) is { } line && !line.Contains(text, StringComparison.Ordinal))
        {
        }
    }

    /// <summary>Waits until exactly <paramref name="count"/> processes run <c>sleep ARG</c> (a replica starts a moment after it is recorded).</summary>
    private static async Task ExpectProcessesAsync(int count, string arg)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (RealProcesses.Count("sleep", arg) != count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{count} processes running sleep {arg}: not met within 60 s");
            await Task.Delay(50);
        }
    }

    /// <summary>A fresh database on NANOKIT_TEST_POSTGRES (a test that needs it and cannot find it fails), dropped on dispose.</summary>
    private sealed class TestDatabase : IDisposable
    {
        private readonly string admin;
        private readonly string name = "nanokit_cli_" + Guid.NewGuid().ToString("N")[..12];

        public TestDatabase()
        {
            admin = Environment.GetEnvironmentVariable("NANOKIT_TEST_POSTGRES") is { Length: > 0 } url
                ? url
                : throw new InvalidOperationException("NANOKIT_TEST_POSTGRES is not set: run `export NANOKIT_TEST_POSTGRES=\"$(scripts/postgres.sh url)\"`");
            Execute(admin, $"CREATE DATABASE {name}");
            ConnectionString = new NpgsqlConnectionStringBuilder(admin) { Database = name }.ToString();
        }

        public string ConnectionString { get; }

        public long JournalRows(string project)
        {
            using var connection = new NpgsqlConnection(ConnectionString);
            connection.Open();
            using var command = new NpgsqlCommand("SELECT count(*) FROM nanokit_cli.nanokit_journal WHERE persistence_id LIKE '%' || $1 || '%'", connection);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = project });
            return (long)command.ExecuteScalar()!;
        }

        /// <summary>Ends the PostgreSQL session holding an advisory lock for the nkapp process <paramref name="pid"/>, as an administrator would; how many were ended.</summary>
        public int TerminateLockHolder(int pid)
        {
            using var connection = new NpgsqlConnection(ConnectionString);
            connection.Open();
            using var command = new NpgsqlCommand(
                "SELECT count(*)::int FROM pg_stat_activity a WHERE a.application_name LIKE $1 AND pg_terminate_backend(a.pid)", connection);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = $"nkapp % (pid {pid} on %" });
            return (int)command.ExecuteScalar()!;
        }

        public void Dispose()
        {
            NpgsqlConnection.ClearAllPools();
            Execute(admin, $"DROP DATABASE IF EXISTS {name} WITH (FORCE)");
        }

        private static void Execute(string connectionString, string sql)
        {
            using var connection = new NpgsqlConnection(connectionString);
            connection.Open();
            using var command = new NpgsqlCommand(sql, connection);
            command.ExecuteNonQuery();
        }
    }
}
