using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Grpc.Net.Client;

namespace Nanokit.Server.Tests;

/// <summary>A real <c>nkapp server</c> process on loopback, on ports free at start; its output is kept for failures.</summary>
internal sealed class ServerNode : IAsyncDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();

    private ServerNode(Process process, int apiPort, int clusterPort)
    {
        this.process = process;
        ApiPort = apiPort;
        ClusterPort = clusterPort;
        Url = $"http://127.0.0.1:{apiPort}";
        Channel = GrpcChannel.ForAddress(Url);
        Http = new HttpClient { BaseAddress = new Uri(Url), DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int ApiPort { get; }

    public int ClusterPort { get; }

    public string Url { get; }

    public string ClusterAddress => $"akka.tcp://nanokit@127.0.0.1:{ClusterPort}";

    public GrpcChannel Channel { get; }

    /// <summary>HTTP/2 with prior knowledge, as the cleartext listener speaks.</summary>
    public HttpClient Http { get; }

    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    public bool HasExited => process.HasExited;

    /// <summary>The node's resident memory now (VmRSS), in MB.</summary>
    public long ResidentMegabytes()
    {
        var line = File.ReadLines($"/proc/{process.Id}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / 1024;
    }

    /// <summary>Starts a node; <paramref name="seedClusterPort"/> null: it seeds itself (forms a new cluster).</summary>
    /// <param name="environment">Variables set for the node beside the test's own (DOCKER_HOST for the private dockerd).</param>
    public static ServerNode Start(string store, string tokenFile, string configFile, int? seedClusterPort, int? clusterPort = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var api = FreePort();
        var cluster = clusterPort ?? FreePort();
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        foreach (var arg in new[]
        {
            Path.Combine(AppContext.BaseDirectory, "nkapp.dll"), "server",
            "--listen", $"127.0.0.1:{api}", "--cluster", $"127.0.0.1:{cluster}", "--seed", $"127.0.0.1:{seedClusterPort ?? cluster}",
            "--store", store, "--token-file", tokenFile, "--config", configFile,
        })
        {
            start.ArgumentList.Add(arg);
        }

        return new ServerNode(Process.Start(start)!, api, cluster);
    }

    /// <summary>Waits until /health/ready answers 200 (actor system, Up member, store).</summary>
    public Task WaitReadyAsync(TimeSpan within) => Eventually.Async(within, async () =>
    {
        Assert.False(process.HasExited, "the node exited:\n" + Output);
        using var response = await Http.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    });

    public void Kill() => process.Kill();

    /// <summary>SIGTERM, then the exit code once the node has left.</summary>
    public async Task<int> TerminateAsync(TimeSpan within)
    {
        Assert.Equal(0, Kill(process.Id, 15));
        using var timeout = new CancellationTokenSource(within);
        await process.WaitForExitAsync(timeout.Token);
        return process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        Http.Dispose();
        if (!process.HasExited)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
