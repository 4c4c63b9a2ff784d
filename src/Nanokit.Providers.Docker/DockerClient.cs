using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Nanokit.Providers.Docker;

/// <summary>
/// A thin Engine API client: HTTP/1.1 over the daemon's unix socket (or TCP), JSON through <see cref="DockerJson"/>.
/// The API version is negotiated once from <c>/version</c>: the lower of the daemon's and <see cref="MaxApiVersion"/>,
/// so requests use a dialect both sides know. A failed negotiation is not cached: the next call tries again.
/// </summary>
internal sealed class DockerClient : IDisposable
{
    public const string MaxApiVersion = "1.43";
    public const string MinApiVersion = "1.41";

    private readonly HttpClient _http;
    private readonly SemaphoreSlim _negotiation = new(1, 1);
    private string? _prefix;

    public DockerClient(DockerEndpoint endpoint)
    {
        Endpoint = endpoint;
        var handler = new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30) };
        if (endpoint.SocketPath is { } path)
        {
            handler.ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
        }

        // Streams (events, logs, wait) stay open as long as their caller wants: timeouts come from cancellation tokens.
        _http = new HttpClient(handler) { BaseAddress = endpoint.TcpBase ?? new Uri("http://docker/"), Timeout = Timeout.InfiniteTimeSpan };
    }

    public DockerEndpoint Endpoint { get; }

    /// <summary>The negotiated API version ("1.41"), after the first successful call.</summary>
    public string? ApiVersion => _prefix?[2..^1];

    public void Dispose()
    {
        _http.Dispose();
        _negotiation.Dispose();
    }

    public async Task<string> NegotiateAsync(CancellationToken cancellationToken)
    {
        if (_prefix is { } known)
        {
            return known;
        }

        await _negotiation.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_prefix is null)
            {
                using var response = await RawSendAsync(new HttpRequestMessage(HttpMethod.Get, "version"), HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
                await ThrowIfFailedAsync(response, cancellationToken).ConfigureAwait(false);
                var version = await response.Content.ReadFromJsonAsync(DockerJson.Default.VersionResponse, cancellationToken).ConfigureAwait(false);
                var server = version?.ApiVersion ?? MinApiVersion;
                if (Compare(server, MinApiVersion) < 0)
                {
                    throw new DockerException(400, $"the Docker daemon at {Endpoint} speaks API {server}; Nanokit needs {MinApiVersion} or later");
                }

                _prefix = "/v" + (Compare(server, MaxApiVersion) < 0 ? server : MaxApiVersion) + "/";
            }

            return _prefix;
        }
        finally
        {
            _negotiation.Release();
        }
    }

    /// <summary>Sends a request; a status outside 2xx, 304 and <paramref name="accepted"/> throws <see cref="DockerException"/> with Docker's message.</summary>
    public async Task<HttpResponseMessage> SendAsync(
        HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead, params int[] accepted)
    {
        var prefix = await NegotiateAsync(cancellationToken).ConfigureAwait(false);
        var request = new HttpRequestMessage(method, prefix.TrimStart('/') + path) { Content = content };
        var response = await RawSendAsync(request, completion, cancellationToken).ConfigureAwait(false);
        if (accepted.Contains((int)response.StatusCode))
        {
            return response;
        }

        try
        {
            await ThrowIfFailedAsync(response, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            response.Dispose();
            throw;
        }

        return response;
    }

    /// <summary>GET returning JSON, or null on 404.</summary>
    public async Task<T?> GetAsync<T>(string path, JsonTypeInfo<T> type, CancellationToken cancellationToken)
        where T : class
    {
        using var response = await SendAsync(HttpMethod.Get, path, null, cancellationToken, accepted: 404).ConfigureAwait(false);
        return response.StatusCode == HttpStatusCode.NotFound
            ? null
            : await response.Content.ReadFromJsonAsync(type, cancellationToken).ConfigureAwait(false);
    }

    public async Task<TResult> PostAsync<TBody, TResult>(
        string path, TBody body, JsonTypeInfo<TBody> bodyType, JsonTypeInfo<TResult> resultType, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Post, path, JsonContent.Create(body, bodyType), cancellationToken).ConfigureAwait(false);
        return await response.Content.ReadFromJsonAsync(resultType, cancellationToken).ConfigureAwait(false)
            ?? throw new DockerException((int)response.StatusCode, $"empty answer from {path}");
    }

    /// <summary>A request whose answer does not matter beyond its status: 404 is accepted only when <paramref name="notFoundIsFine"/>.</summary>
    public async Task<HttpStatusCode> CallAsync(HttpMethod method, string path, CancellationToken cancellationToken, bool notFoundIsFine = false)
    {
        int[] accepted = notFoundIsFine ? [404] : [];
        using var response = await SendAsync(method, path, null, cancellationToken, accepted: accepted).ConfigureAwait(false);
        return response.StatusCode;
    }

    public static string Filters(params (string Key, string Value)[] filters)
    {
        var map = filters.GroupBy(f => f.Key).ToDictionary(g => g.Key, g => g.Select(f => f.Value).ToList());
        return Uri.EscapeDataString(JsonSerializer.Serialize(map, DockerJson.Default.DictionaryStringListString));
    }

    private async Task<HttpResponseMessage> RawSendAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        try
        {
            return await _http.SendAsync(request, completion, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            // A missing socket file surfaces as "Cannot assign requested address", which explains nothing.
            var reason = Endpoint.SocketPath is { } socket && !File.Exists(socket) ? "no such socket" : e.InnerException?.Message ?? e.Message;
            throw new DockerException(0, $"cannot reach the Docker daemon at {Endpoint} ({reason}); is dockerd running? (tests: scripts/dockerd.sh start)", e);
        }
        finally
        {
            request.Dispose();
        }
    }

    private static async Task ThrowIfFailedAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode || response.StatusCode == HttpStatusCode.NotModified)
        {
            return;
        }

        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        string? message = null;
        try
        {
            message = JsonSerializer.Deserialize(text, DockerJson.Default.ErrorResponse)?.Message;
        }
        catch (JsonException)
        {
            // Not Docker's JSON error shape (a proxy in between?): the raw text below says more than nothing.
        }

        throw new DockerException((int)response.StatusCode, message ?? $"HTTP {(int)response.StatusCode}: {text.Trim()}");
    }

    private static int Compare(string a, string b) =>
        Version.Parse(a).CompareTo(Version.Parse(b));

    public static string Seconds(TimeSpan span) =>
        ((int)Math.Ceiling(Math.Max(0, span.TotalSeconds))).ToString(CultureInfo.InvariantCulture);
}
