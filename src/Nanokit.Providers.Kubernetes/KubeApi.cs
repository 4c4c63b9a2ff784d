using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Security;
using System.Runtime.CompilerServices;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;

namespace Nanokit.Providers.Kubernetes;

/// <summary>
/// A small typed client for the REST calls the provider makes (get, list, create, replace, delete, watch, log) over one
/// HttpClient. A failed call throws <see cref="KubeApiException"/> carrying the server's Status reason; a server that
/// cannot be reached throws one with code 0 naming the server.
/// </summary>
internal sealed partial class KubeApi : IDisposable
{
    private readonly HttpClient http;
    private readonly TimeSpan requestTimeout;
    private readonly X509Certificate2? clientCertificate;

    // What a 401 tells the user to check: the credential this client presents.
    private readonly string credential;

    public KubeApi(KubeConfig config, TimeSpan requestTimeout)
    {
        Server = config.Server;
        this.requestTimeout = requestTimeout;
        var handler = new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1) };
        if (config.InsecureSkipTlsVerify)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        }
        else if (config.CertificateAuthorityPem is { } pem)
        {
            var roots = new X509Certificate2Collection();
            roots.ImportFromPem(pem);
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) => Trusted(roots, certificate, errors);
        }

        credential = "the token of the kubeconfig's user";
        if (config.ClientCertificate is { } client)
        {
            // Presented whenever the server asks, whatever issuers it lists: a server that does not trust it answers 401,
            // which names the certificate, where a silently withheld one would look like a missing credential.
            var certificate = clientCertificate = client.Load();
            handler.SslOptions.ClientCertificates = [certificate];
            handler.SslOptions.LocalCertificateSelectionCallback = (_, _, _, _, _) => certificate;
            credential = "the client certificate, " + client.Where;
        }

        // Watches stay open as long as their caller wants; plain calls get requestTimeout through their token instead.
        http = new HttpClient(handler) { BaseAddress = config.Server, Timeout = Timeout.InfiniteTimeSpan };
        if (config.Token is { } token)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
    }

    public Uri Server { get; }

    public void Dispose()
    {
        http.Dispose();
        clientCertificate?.Dispose();
    }

    /// <summary>The object, or null when the server answers 404.</summary>
    public async Task<T?> GetAsync<T>(string path, CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            return await SendAsync<T>(HttpMethod.Get, path, null, cancellationToken).ConfigureAwait(false);
        }
        catch (KubeApiException e) when (e.Code == 404)
        {
            return null;
        }
    }

    public async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(requestTimeout);
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, body.GetType(), options: KubeJson.Options);
        }

        using var response = await CallAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, timeout.Token).ConfigureAwait(false);
        return (await response.Content.ReadFromJsonAsync<T>(KubeJson.Options, timeout.Token).ConfigureAwait(false))!;
    }

    /// <summary>
    /// The events of a watch (<c>?watch=true</c> added to <paramref name="path"/>) until the server ends it. An ERROR event
    /// (410 Expired when the resourceVersion is too old) is thrown as a <see cref="KubeApiException"/>.
    /// </summary>
    public async IAsyncEnumerable<WatchEvent> WatchAsync(string path, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path + (path.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "watch=true");
        using var response = await CallAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false));
        while (await ReadLineAsync(reader, cancellationToken).ConfigureAwait(false) is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }

            var watchEvent = JsonSerializer.Deserialize<WatchEvent>(line, KubeJson.Options)!;
            if (watchEvent.Type == "ERROR")
            {
                var status = watchEvent.Object.Deserialize<StatusBody>(KubeJson.Options)!;
                throw new KubeApiException(status.Code, status.Reason ?? "", status.Message ?? line);
            }

            yield return watchEvent;
        }
    }

    /// <summary>The lines of a plain-text resource (a pod's log) as they come.</summary>
    public async IAsyncEnumerable<string> ReadLinesAsync(string path, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        using var response = await CallAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false));
        while (await ReadLineAsync(reader, cancellationToken).ConfigureAwait(false) is { } line)
        {
            yield return line;
        }
    }

    private static bool Trusted(X509Certificate2Collection roots, X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(new X509Certificate2(certificate));
    }

    private async Task<string?> ReadLineAsync(StreamReader reader, CancellationToken cancellationToken)
    {
        try
        {
            return await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or HttpRequestException && !cancellationToken.IsCancellationRequested)
        {
            throw Unreachable(e);
        }
    }

    private async Task<HttpResponseMessage> CallAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken token, CancellationToken caller)
    {
        try
        {
            return await http.SendAsync(request, completion, token).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw Unreachable(e);
        }
        catch (OperationCanceledException e) when (!caller.IsCancellationRequested)
        {
            throw new KubeApiException(0, "Timeout", $"the Kubernetes API server {Server} did not answer {request.Method} {request.RequestUri} within {requestTimeout.TotalSeconds:0.#} s", e);
        }
    }

    private KubeApiException Unreachable(Exception e) => new(0, "Unreachable", $"the Kubernetes API server {Server} is unreachable: {e.Message}", e);

    private async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        StatusBody? status = null;
        try
        {
            status = JsonSerializer.Deserialize<StatusBody>(text, KubeJson.Options);
        }
        catch (JsonException)
        {
            // Not a Status (a proxy's HTML page, say): the text itself is the message.
        }

        var code = (int)response.StatusCode;
        var reason = status?.Reason ?? response.StatusCode.ToString();
        var message = status?.Message is { Length: > 0 } m ? m : $"{code} {response.ReasonPhrase}: {text}";
        throw new KubeApiException(code, reason, response.StatusCode == HttpStatusCode.Unauthorized ? $"{message} (check {credential})" : message);
    }
}

/// <summary>A call the API server refused (<see cref="Code"/> and <see cref="Reason"/> from its Status), or code 0: it could not be reached.</summary>
internal sealed class KubeApiException(int code, string reason, string message, Exception? inner = null) : Exception(message, inner)
{
    public int Code { get; } = code;

    public string Reason { get; } = reason;
}
