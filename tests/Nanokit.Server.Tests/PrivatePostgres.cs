using System.Diagnostics;

namespace Nanokit.Server.Tests;

/// <summary>
/// A PostgreSQL of a test's own (scripts/postgres.sh with its own port and data directory), for tests that stop and
/// start the server under the nodes: the shared test instance is never disturbed. Missing PostgreSQL binaries fail
/// the test (the script installs them when it can).
/// </summary>
internal sealed class PrivatePostgres : IAsyncDisposable
{
    private readonly string script;
    private readonly string directory;
    private readonly int port;

    private PrivatePostgres(string script, string directory, int port)
    {
        (this.script, this.directory, this.port) = (script, directory, port);
        // Connecting may take seconds on the shared 2-core machine under other builds (psql's `SELECT 1` took 2.9 s at a
        // load of 70): a 30 s connect timeout keeps the nodes from giving up on a store that is only slow.
        ConnectionString = $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=true;Timeout=30";
    }

    /// <summary>The server's maintenance database; <see cref="CreateDatabaseAsync"/> makes one per cluster.</summary>
    public string ConnectionString { get; }

    public static async Task<PrivatePostgres> StartAsync()
    {
        var directory = Path.Combine(Path.GetTempPath(), "nanokit-pg-" + Guid.NewGuid().ToString("N")[..8]);
        var postgres = new PrivatePostgres(Repository.Script("postgres.sh"), directory, LoopbackPort.Free());
        await postgres.RunAsync("start");
        return postgres;
    }

    public Task<string> CreateDatabaseAsync(string name) => TestPostgres.CreateDatabaseAsync(ConnectionString, name);

    /// <summary>A fast shutdown: clients are disconnected and transactions in flight rolled back, as on a restart.</summary>
    public Task StopAsync() => RunAsync("stop");

    public Task StartAgainAsync() => RunAsync("start");

    public async ValueTask DisposeAsync()
    {
        await RunAsync("stop");
        Directory.Delete(directory, recursive: true);
    }

    private async Task RunAsync(string verb)
    {
        var start = new ProcessStartInfo("bash");
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(verb);
        start.Environment["NANOKIT_PG_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["NANOKIT_PG_DIR"] = directory;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var (exit, output, errors) = await ChildProcess.RunAsync(start, timeout.Token);
        Assert.True(exit == 0, $"scripts/postgres.sh {verb} exited {exit}:\n{output}{errors}");
    }
}
