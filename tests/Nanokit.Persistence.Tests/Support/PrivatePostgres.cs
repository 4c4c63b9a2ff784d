using System.Net;
using System.Net.Sockets;

namespace Nanokit.Persistence.Tests.Support;

/// <summary>
/// A PostgreSQL of the test's own (its own port and data directory, through
/// scripts/postgres.sh), so a test may stop and start it without disturbing the shared one.
/// </summary>
public sealed class PrivatePostgres : IAsyncDisposable
{
    private readonly Dictionary<string, string> _environment;
    private readonly string _directory;

    private PrivatePostgres(int port, string directory)
    {
        _directory = directory;
        _environment = new Dictionary<string, string>
        {
            ["NANOKIT_PG_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["NANOKIT_PG_DIR"] = directory,
        };
    }

    public string ConnectionString { get; private set; } = "";

    public static async Task<PrivatePostgres> StartAsync()
    {
        var instance = new PrivatePostgres(FreePort(), Path.Combine(Path.GetTempPath(), $"nanokit-pg-fault-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]));
        await instance.StartAgainAsync();
        instance.ConnectionString = await ScriptRunner.RunAsync("scripts/postgres.sh", "url", instance._environment);
        return instance;
    }

    /// <summary>Starts the server (again); returns once it accepts connections.</summary>
    public Task StartAgainAsync() => ScriptRunner.RunAsync("scripts/postgres.sh", "start", _environment);

    /// <summary>Fast shutdown: open connections are cut and in-flight transactions rolled back.</summary>
    public Task StopAsync() => ScriptRunner.RunAsync("scripts/postgres.sh", "stop", _environment);

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
