using System.Net.Sockets;
using System.Text.Json;
using Docker.DotNet;
using Docker.DotNet.Handler.Abstractions;

namespace Nanokit.Providers.Docker;

/// <summary>
/// The Engine API through Docker.DotNet. Every call goes through <see cref="CallAsync{T}"/>, which turns the library's
/// failures into <see cref="DockerException"/> (Docker's own message, the HTTP status; 0 when the daemon cannot be reached),
/// so the runtime names replicas and decides what is transient in one way. What the library lacks is in
/// <c>DockerEngine.Gaps.cs</c>, and only there.
/// </summary>
internal sealed partial class DockerEngine : IDisposable
{
    private readonly SemaphoreSlim _negotiation = new(1, 1);
    private DockerClient? _client;
    private HttpClient? _raw;

    public DockerEngine(DockerEndpoint endpoint) => Endpoint = endpoint;

    public DockerEndpoint Endpoint { get; }

    /// <summary>The negotiated API version ("1.41"), after the first successful call.</summary>
    public Version? ApiVersion { get; private set; }

    public void Dispose()
    {
        _client?.Dispose();
        _raw?.Dispose();
        _negotiation.Dispose();
    }

    /// <summary>Runs one library call on the negotiated client, its failures as <see cref="DockerException"/>.</summary>
    public async Task<T> CallAsync<T>(Func<DockerClient, CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        var client = await ConnectAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await OffContext(() => call(client, cancellationToken)).ConfigureAwait(false);
        }
        catch (Exception e) when (Translate(e) is { } failure)
        {
            throw failure;
        }
    }

    public Task CallAsync(Func<DockerClient, CancellationToken, Task> call, CancellationToken cancellationToken) =>
        CallAsync(async (client, token) =>
        {
            await call(client, token).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    /// <summary>The call's answer, or null when Docker answers 404 (no such container, network, image).</summary>
    public async Task<T?> FindAsync<T>(Func<DockerClient, CancellationToken, Task<T>> call, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            return await CallAsync(call, cancellationToken).ConfigureAwait(false);
        }
        catch (DockerException e) when (e.StatusCode == 404)
        {
            return null;
        }
    }

    /// <summary>
    /// Starts a library call on the thread pool. Docker.DotNet's transport (Microsoft.Net.Http.Client) awaits without
    /// ConfigureAwait(false), so a call started inside an actor resumes on the actor's task scheduler: when that actor has
    /// stopped (a finished run), the continuation never runs and the call hangs. Seen with nkapp's second in-process up.
    /// </summary>
    private static Task<T> OffContext<T>(Func<Task<T>> call) => Task.Run(call, CancellationToken.None);

    /// <summary>Docker's list filters: each key with the set of values any of which matches.</summary>
    public static IDictionary<string, IDictionary<string, bool>> Filters(params (string Key, string Value)[] filters) =>
        filters.GroupBy(f => f.Key, StringComparer.Ordinal).ToDictionary(
            g => g.Key, g => (IDictionary<string, bool>)g.ToDictionary(f => f.Value, _ => true, StringComparer.Ordinal), StringComparer.Ordinal);

    /// <summary>A library or transport failure as Docker's message and status; null for what is not one (cancellation, our own bugs).</summary>
    public DockerException? Translate(Exception e) => e switch
    {
        DockerException => null,
        DockerApiException api => new DockerException((int)api.StatusCode, MessageOf(api), api),
        HttpRequestException or SocketException or IOException =>
            new DockerException(0, $"cannot reach the Docker daemon at {Endpoint} ({Reason(e)}); is dockerd running? (tests: scripts/dockerd.sh start)", e),
        _ => null,
    };

    private string Reason(Exception e)
    {
        // A missing socket file surfaces as "Cannot assign requested address" or "No such file", which explains little.
        if (Endpoint.SocketPath is { } socket && !File.Exists(socket))
        {
            return "no such socket";
        }

        return (e.InnerException ?? e).Message;
    }

    private static string MessageOf(DockerApiException e)
    {
        var body = e.ResponseBody?.Trim() ?? "";
        try
        {
            if (body.StartsWith('{') && JsonDocument.Parse(body).RootElement.TryGetProperty("message", out var message) && message.GetString() is { Length: > 0 } text)
            {
                return text;
            }
        }
        catch (JsonException)
        {
            // Not Docker's JSON error shape (a proxy in between?): the raw text below says more than nothing.
        }

        return $"HTTP {(int)e.StatusCode}: {body}";
    }

    private static Uri LibraryEndpoint(DockerEndpoint endpoint) =>
        endpoint.SocketPath is { } path ? new Uri("unix://" + path) : new Uri("tcp://" + endpoint.TcpBase!.Authority);

    private sealed class Builder(DockerEndpoint endpoint, Version? version) : DockerClientBuilder
    {
        public DockerClient Create() =>
            WithEndpoint(LibraryEndpoint(endpoint))
                .WithApiVersion(version)
                // Streams (events, logs, waits) and stops stay open as long as their caller wants: cancellation bounds them.
                .WithTimeout(Timeout.InfiniteTimeSpan)
                .Build();

        public HttpClient CreateRaw()
        {
            var options = CreateResolvedClientOptions() with { Endpoint = LibraryEndpoint(endpoint) };
            var transport = base.ResolveTransportFactory(options.Endpoint.Scheme).CreateHandler(options, Logger);
            return new HttpClient(transport.Handler) { BaseAddress = transport.EffectiveEndpoint, Timeout = Timeout.InfiniteTimeSpan };
        }

        protected override IDockerHandlerFactory ResolveTransportFactory(string scheme) =>
            new GapHandlerFactory(base.ResolveTransportFactory(scheme), () => version);
    }

    /// <summary>A progress that runs its callback on the reading thread, in order (Progress&lt;T&gt; posts to a context, out of order).</summary>
    public sealed class Callback<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
