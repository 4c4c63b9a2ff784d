using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Net.Client;
using Nanokit.Server.Api;

namespace Nanokit.Hub.Tests;

/// <summary>
/// A real <c>nkapp server</c> process on loopback with a fresh database on the test PostgreSQL (NANOKIT_TEST_POSTGRES);
/// its output is kept for failure messages. Cleartext: the simulated runtime and a Hub listener (--hub-listen). TLS: a
/// self-signed certificate made here, the real runtimes (local processes write real logs), the Hub on --listen.
/// </summary>
internal sealed class HubNode : IAsyncDisposable
{
    public const string WriteToken = "hub-write-token-for-tests";
    public const string ReadToken = "hub-read-token-for-tests";

    private readonly string directory;
    private readonly Func<SocketsHttpHandler> handlers;
    private readonly List<string> args;
    private NkappProcess process;
    private string earlierOutput = "";

    private HubNode(NkappProcess process, List<string> args, string directory, string hubUrl, string apiUrl, int clusterPort, Func<SocketsHttpHandler> handlers)
    {
        this.process = process;
        this.args = args;
        this.directory = directory;
        this.handlers = handlers;
        HubUrl = hubUrl;
        ClusterAddress = $"akka.tcp://nanokit@127.0.0.1:{clusterPort}";
        // A handler of its own: the channel takes over its connection callback.
        Channel = GrpcChannel.ForAddress(apiUrl, new GrpcChannelOptions { HttpHandler = handlers() });
    }

    /// <summary>Where the browser goes: the Hub listener (HTTP/1.1), or --listen over TLS.</summary>
    public string HubUrl { get; }

    public string ClusterAddress { get; }

    /// <summary>gRPC on --listen, as the CLI and other clients call it.</summary>
    public GrpcChannel Channel { get; }

    public string Output => earlierOutput + process.Output;

    /// <summary>False between <see cref="StopAsync"/> and <see cref="StartAgainAsync"/>.</summary>
    public bool Running => !process.Process.HasExited;

    public static async Task<HubNode> StartAsync(bool tls)
    {
        var store = await TestPostgres.CreateDatabaseAsync("nk_hub_");
        var directory = Directory.CreateTempSubdirectory("nanokit-hub-tests-").FullName;
        var tokens = Path.Combine(directory, "tokens");
        await File.WriteAllLinesAsync(tokens, [TokenFile.LineFor(WriteToken, Role.Write), TokenFile.LineFor(ReadToken, Role.Read)]);
        var (api, hub, cluster) = (LoopbackPort.Free(), LoopbackPort.Free(), LoopbackPort.Free());
        var config = Path.Combine(directory, "node.conf");
        await File.WriteAllTextAsync(config, $"""
            nanokit.server.projects-directory = "{Path.Combine(directory, "projects")}"
            {(tls ? "" : $"nanokit.server.simulated-runtime = on\nnanokit.server.hub.listen = \"127.0.0.1:{hub}\"")}
            """);
        List<string> args =
        [
            "server",
            "--listen", $"127.0.0.1:{api}", "--cluster", $"127.0.0.1:{cluster}", "--seed", $"127.0.0.1:{cluster}",
            "--store", store, "--token-file", tokens, "--config", config,
        ];
        Func<SocketsHttpHandler> handlers = () => new SocketsHttpHandler();
        if (tls)
        {
            var (cert, key) = (Path.Combine(directory, "node.crt"), Path.Combine(directory, "node.key"));
            var thumbprint = await WriteSelfSignedAsync(cert, key);
            // Trust this node's certificate and no other: the test still checks that TLS is what it talks.
            handlers = () => new SocketsHttpHandler
            {
                SslOptions = new SslClientAuthenticationOptions
                {
                    RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate?.GetCertHashString(HashAlgorithmName.SHA256) == thumbprint,
                },
            };
            args.AddRange(["--tls-cert", cert, "--tls-key", key]);
        }

        var process = NkappProcess.Start(directory: null, environment: null, args);
        var apiUrl = $"{(tls ? "https" : "http")}://127.0.0.1:{api}";
        var node = new HubNode(process, args, directory, tls ? apiUrl : $"http://127.0.0.1:{hub}", apiUrl, cluster, handlers);
        await node.WaitReadyAsync(TimeSpan.FromSeconds(90));
        return node;
    }

    /// <summary>
    /// Kills the node (SIGKILL, as a crash: its streams are cut, its local replicas go on running) and starts it again
    /// on the same ports and store, until it is ready.
    /// </summary>
    public async Task RestartAsync()
    {
        await process.DisposeAsync();
        earlierOutput += process.Output + "\n--- restarted ---\n";
        process = NkappProcess.Start(directory: null, environment: null, args);
        await WaitReadyAsync(TimeSpan.FromSeconds(90));
    }

    /// <summary>
    /// Stops the node as its service manager would (SIGTERM: the host shuts down, ending its streams) and waits until it
    /// has exited; <see cref="StartAgainAsync"/> starts it again.
    /// </summary>
    public async Task StopAsync()
    {
        using (var kill = System.Diagnostics.Process.Start("kill", ["-TERM", process.Process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var within = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.Process.WaitForExitAsync(within.Token);
    }

    /// <summary>Starts the node stopped by <see cref="StopAsync"/> again, on the same ports and store, until it is ready.</summary>
    public async Task StartAgainAsync()
    {
        await process.DisposeAsync();
        earlierOutput += process.Output + "\n--- stopped ---\n";
        process = NkappProcess.Start(directory: null, environment: null, args);
        await WaitReadyAsync(TimeSpan.FromSeconds(90));
    }

    /// <summary>An HTTP client of the Hub's URL that trusts this node's certificate.</summary>
    public HttpClient Http() => new(handlers()) { BaseAddress = new Uri(HubUrl), Timeout = TimeSpan.FromSeconds(30) };

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await process.DisposeAsync();
        Directory.Delete(directory, recursive: true);
    }

    /// <summary>A self-signed certificate for 127.0.0.1 as PEM files; returns its SHA-256 thumbprint.</summary>
    private static async Task<string> WriteSelfSignedAsync(string certPath, string keyPath)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        await File.WriteAllTextAsync(certPath, certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(keyPath, key.ExportPkcs8PrivateKeyPem());
        return certificate.GetCertHashString(HashAlgorithmName.SHA256);
    }

    /// <summary>Until /health/ready answers 200 where the browser goes (HTTP/1.1, as a browser asks).</summary>
    private async Task WaitReadyAsync(TimeSpan within)
    {
        using var http = Http();
        http.Timeout = TimeSpan.FromSeconds(5);
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
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && DateTime.UtcNow < deadline)
            {
                // Not listening yet.
            }

            Assert.True(DateTime.UtcNow < deadline, $"the node was not ready within {within}:\n{Output}");
            await Task.Delay(200);
        }
    }
}
