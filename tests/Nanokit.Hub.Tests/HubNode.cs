using System.Net;
using Grpc.Net.Client;
using Nanokit.Server.Api;

namespace Nanokit.Hub.Tests;

/// <summary>
/// A real <c>nkapp server</c> process on loopback with a fresh database on the test PostgreSQL (NANOKIT_TEST_POSTGRES),
/// the simulated runtime and a Hub listener; its output is kept for failure messages.
/// </summary>
internal sealed class HubNode : IAsyncDisposable
{
    public const string WriteToken = "hub-write-token-for-tests";
    public const string ReadToken = "hub-read-token-for-tests";

    private readonly NkappProcess process;
    private readonly string directory;

    private HubNode(NkappProcess process, string directory, int apiPort, int hubPort, int clusterPort)
    {
        this.process = process;
        this.directory = directory;
        HubUrl = $"http://127.0.0.1:{hubPort}";
        ClusterAddress = $"akka.tcp://nanokit@127.0.0.1:{clusterPort}";
        Channel = GrpcChannel.ForAddress($"http://127.0.0.1:{apiPort}");
    }

    /// <summary>The Hub listener (HTTP/1.1), where the browser goes.</summary>
    public string HubUrl { get; }

    public string ClusterAddress { get; }

    /// <summary>gRPC on --listen (cleartext HTTP/2), as the CLI and other clients call it.</summary>
    public GrpcChannel Channel { get; }

    public string Output => process.Output;

    public static async Task<HubNode> StartAsync()
    {
        var store = await TestPostgres.CreateDatabaseAsync("nk_hub_");
        var directory = Directory.CreateTempSubdirectory("nanokit-hub-tests-").FullName;
        var tokens = Path.Combine(directory, "tokens");
        await File.WriteAllLinesAsync(tokens, [TokenFile.LineFor(WriteToken, Role.Write), TokenFile.LineFor(ReadToken, Role.Read)]);
        var (api, hub, cluster) = (LoopbackPort.Free(), LoopbackPort.Free(), LoopbackPort.Free());
        var config = Path.Combine(directory, "node.conf");
        await File.WriteAllTextAsync(config, $"""
            nanokit.server.simulated-runtime = on
            nanokit.server.projects-directory = "{Path.Combine(directory, "projects")}"
            nanokit.server.hub.listen = "127.0.0.1:{hub}"
            """);
        var process = NkappProcess.Start(directory: null, environment: null,
        [
            "server",
            "--listen", $"127.0.0.1:{api}", "--cluster", $"127.0.0.1:{cluster}", "--seed", $"127.0.0.1:{cluster}",
            "--store", store, "--token-file", tokens, "--config", config,
        ]);
        var node = new HubNode(process, directory, api, hub, cluster);
        await node.WaitReadyAsync(TimeSpan.FromSeconds(90));
        return node;
    }

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await process.DisposeAsync();
        Directory.Delete(directory, recursive: true);
    }

    /// <summary>Until /health/ready answers 200 on the Hub listener (HTTP/1.1, as a browser asks).</summary>
    private async Task WaitReadyAsync(TimeSpan within)
    {
        using var http = new HttpClient { BaseAddress = new Uri(HubUrl), Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            Assert.False(process.Process.HasExited, "the node exited:\n" + Output);
            try
            {
                using var response = await http.GetAsync("/health/ready");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
                // Not listening yet.
            }

            Assert.True(DateTime.UtcNow < deadline, $"the node was not ready within {within}:\n{Output}");
            await Task.Delay(200);
        }
    }
}
