using System.Net;
using Grpc.Net.Client;

namespace Nanokit.Server.Tests;

/// <summary>
/// A real <c>nkapp server</c> process on loopback, on ports free at start; its output is kept for failures, with
/// timestamps and each intent's sends and answers (Nanokit.Server.Intents at Debug), and written to a file of
/// <c>NANOKIT_TEST_NODE_LOGS</c> (scripts/test.sh sets it) when the node is disposed: a stall seen once in a suite
/// run can be read afterwards from every node's side.
/// </summary>
internal sealed class ServerNode : IAsyncDisposable
{
    /// <summary>What every test node logs beyond its defaults (a test's own environment may override it).</summary>
    private static readonly IReadOnlyDictionary<string, string> Logging = new Dictionary<string, string>
    {
        ["Logging__LogLevel__Nanokit.Server.Intents"] = "Debug",
        ["Logging__Console__TimestampFormat"] = "HH:mm:ss.fff ",
    };

    private readonly NkappProcess process;

    private ServerNode(NkappProcess process, int apiPort, int clusterPort)
    {
        this.process = process;
        ApiPort = apiPort;
        ClusterPort = clusterPort;
        Url = $"http://127.0.0.1:{apiPort}";
        Channel = GrpcChannel.ForAddress(Url);
        Http = new HttpClient { BaseAddress = new Uri(Url), DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
    }

    public int ApiPort { get; }

    public int ClusterPort { get; }

    public string Url { get; }

    public string ClusterAddress => $"akka.tcp://nanokit@127.0.0.1:{ClusterPort}";

    public GrpcChannel Channel { get; }

    /// <summary>HTTP/2 with prior knowledge, as the cleartext listener speaks.</summary>
    public HttpClient Http { get; }

    public string Output => process.Output;

    public bool HasExited => process.Process.HasExited;

    /// <summary>The node's resident memory now (VmRSS), in MB.</summary>
    public long ResidentMegabytes()
    {
        var line = File.ReadLines($"/proc/{process.Process.Id}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / 1024;
    }

    /// <summary>Starts a node; <paramref name="seedClusterPort"/> null: it seeds itself (forms a new cluster).</summary>
    /// <param name="environment">Variables set for the node beside the test's own (DOCKER_HOST for the private dockerd).</param>
    public static ServerNode Start(string store, string tokenFile, string configFile, int? seedClusterPort, int? clusterPort = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var api = LoopbackPort.Free();
        var cluster = clusterPort ?? LoopbackPort.Free();
        var variables = new Dictionary<string, string>(Logging);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            variables[key] = value;
        }

        var process = NkappProcess.Start(directory: null, variables,
        [
            "server",
            "--listen", $"127.0.0.1:{api}", "--cluster", $"127.0.0.1:{cluster}", "--seed", $"127.0.0.1:{seedClusterPort ?? cluster}",
            "--store", store, "--token-file", tokenFile, "--config", configFile,
        ]);
        return new ServerNode(process, api, cluster);
    }

    /// <summary>Waits until /health/ready answers 200 (actor system, Up member, store).</summary>
    public Task WaitReadyAsync(TimeSpan within) => Eventually.Async(within, async () =>
    {
        Assert.False(HasExited, "the node exited:\n" + Output);
        using var response = await Http.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    });

    public void Kill() => process.Process.Kill();

    /// <summary>SIGTERM, then the exit code once the node has left.</summary>
    public async Task<int> TerminateAsync(TimeSpan within)
    {
        Assert.Equal(0, Kill(process.Process.Id, 15));
        using var timeout = new CancellationTokenSource(within);
        await process.Process.WaitForExitAsync(timeout.Token);
        return process.Process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        Http.Dispose();
        await process.DisposeAsync();
        if (Environment.GetEnvironmentVariable("NANOKIT_TEST_NODE_LOGS") is { Length: > 0 } logs)
        {
            Directory.CreateDirectory(logs);
            await File.WriteAllTextAsync(Path.Combine(logs, $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-node-{ClusterPort}.log"), Output);
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
