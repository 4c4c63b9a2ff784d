using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Docker.DotNet;
using Docker.DotNet.Handler.Abstractions;
using Docker.DotNet.Models;

namespace Nanokit.Providers.Docker;

// What Docker.DotNet (Docker.DotNet.Enhanced 4.3.3) lacks, kept by hand here and nowhere else. One comment per gap.
internal sealed partial class DockerEngine
{
    public const string MinApiVersion = "1.41";

    /// <summary>The newest dialect Nanokit speaks; a newer daemon is spoken to in this one (1.44 adds healthcheck.start_interval).</summary>
    public const string MaxApiVersion = "1.44";

    /// <summary>
    /// Gap 1, version negotiation: the library sends the version it is given (or none, which a daemon reads as its newest).
    /// Nanokit asks <c>/version</c> once and speaks the lower of the daemon's and <see cref="MaxApiVersion"/>, so requests
    /// use a dialect both sides know; older than <see cref="MinApiVersion"/> is refused. A failed negotiation is not
    /// cached: the next call tries again.
    /// </summary>
    private async Task<DockerClient> ConnectAsync(CancellationToken cancellationToken)
    {
        if (_client is { } known)
        {
            return known;
        }

        await _negotiation.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_client is null)
            {
                VersionResponse version;
                using (var unversioned = new Builder(Endpoint, null).Create())
                {
                    try
                    {
                        version = await OffContext(() => unversioned.System.GetVersionAsync(cancellationToken)).ConfigureAwait(false);
                    }
                    catch (Exception e) when (Translate(e) is { } failure)
                    {
                        throw failure;
                    }
                }

                var server = Version.Parse(string.IsNullOrEmpty(version.APIVersion) ? MinApiVersion : version.APIVersion);
                if (server < Version.Parse(MinApiVersion))
                {
                    throw new DockerException(400, $"the Docker daemon at {Endpoint} speaks API {server}; Nanokit needs {MinApiVersion} or later");
                }

                var chosen = server < Version.Parse(MaxApiVersion) ? server : Version.Parse(MaxApiVersion);
                var builder = new Builder(Endpoint, chosen);
                _raw = builder.CreateRaw();
                ApiVersion = chosen;
                _client = builder.Create();
            }

            return _client;
        }
        finally
        {
            _negotiation.Release();
        }
    }

    /// <summary>
    /// Gap 2, <c>wait?condition=removed</c>: the library's wait knows only the default condition (not-running). A removal
    /// another caller started (409 on our delete) is seen through by waiting for this condition; a container already gone is fine.
    /// </summary>
    public async Task WaitRemovedAsync(string container, CancellationToken cancellationToken)
    {
        await ConnectAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var response = await OffContext(() => _raw!.PostAsync(
                $"v{ApiVersion}/containers/{Uri.EscapeDataString(container)}/wait?condition=removed", null, cancellationToken)).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode && response.StatusCode != HttpStatusCode.NotFound)
            {
                var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                throw new DockerApiException(response.StatusCode, body);
            }
        }
        catch (Exception e) when (Translate(e) is { } failure)
        {
            throw failure;
        }
    }

    /// <summary>
    /// Gap 3, errors inside a progress stream: a pull or a build that fails after it began answers 200 and reports the
    /// failure as an error line of its progress, which the library hands to the progress callback like any other line.
    /// This runs such a call and turns the first error line into a <see cref="DockerException"/>.
    /// </summary>
    public async Task StreamAsync(
        Func<DockerClient, IProgress<JSONMessage>, CancellationToken, Task> call, Action<JSONMessage> onProgress, CancellationToken cancellationToken)
    {
        string? error = null;
        var progress = new Callback<JSONMessage>(message =>
        {
            if (message.Error?.Message is { Length: > 0 } text)
            {
                error ??= text;
            }
            else if (error is null)
            {
                onProgress(message);
            }
        });
        await CallAsync((client, token) => call(client, progress, token), cancellationToken).ConfigureAwait(false);
        if (error is not null)
        {
            throw new DockerException(500, error);
        }
    }

    /// <summary>
    /// Gap 4, 404-tolerant removal: the library throws on a container already gone. Removing what is not there is the
    /// wanted end state, so it is fine; 409 (a removal already in progress) is seen through with gap 2.
    /// </summary>
    /// <param name="stop">The stop call's parameters (its timeout), when the container is stopped first.</param>
    public async Task RemoveContainerIfExistsAsync(string container, ContainerStopParameters? stop, CancellationToken cancellationToken)
    {
        try
        {
            if (stop is not null)
            {
                await CallAsync((client, token) => client.Containers.StopContainerAsync(container, stop, token), cancellationToken).ConfigureAwait(false);
            }

            await CallAsync((client, token) => client.Containers.RemoveContainerAsync(container, new ContainerRemoveParameters { Force = true }, token), cancellationToken).ConfigureAwait(false);
        }
        catch (DockerException e) when (e.StatusCode == 404)
        {
            // Already gone.
        }
        catch (DockerException e) when (e.StatusCode == 409)
        {
            await WaitRemovedAsync(container, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Gap 5, <c>mac_address</c> before API 1.44: the library's create model carries a MAC only on the network endpoint,
    /// where a daemon older than 1.44 ignores it (it reads the container config's <c>MacAddress</c>). On such a daemon the
    /// create request's body gets the endpoint's MAC at the top level, where that daemon looks.
    /// </summary>
    private sealed class GapHandlerFactory(IDockerHandlerFactory inner, Func<Version?> version) : IDockerHandlerFactory
    {
        public ResolvedTransport CreateHandler(ResolvedClientOptions clientOptions, Microsoft.Extensions.Logging.ILogger logger)
        {
            var transport = inner.CreateHandler(clientOptions, logger);
            return transport with { Handler = new MacAddressHandler(version) { InnerHandler = transport.Handler } };
        }

        public Task<WriteClosableStream> HijackStreamAsync(HttpContent content) => inner.HijackStreamAsync(content);
    }

    private sealed class MacAddressHandler(Func<Version?> version) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Method == HttpMethod.Post && request.Content is { } content
                && request.RequestUri?.AbsolutePath.EndsWith("/containers/create", StringComparison.Ordinal) == true
                && version() is { } v && v < new Version(1, 44))
            {
                var body = JsonNode.Parse(await content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
                var mac = body?["NetworkingConfig"]?["EndpointsConfig"]?.AsObject()
                    .Select(e => e.Value?["MacAddress"]?.GetValue<string>())
                    .FirstOrDefault(m => !string.IsNullOrEmpty(m));
                if (body is JsonObject root && mac is not null)
                {
                    root["MacAddress"] = mac;
                    request.Content = new StringContent(root.ToJsonString(), Encoding.UTF8, "application/json");
                }
                else
                {
                    request.Content = new StringContent(body?.ToJsonString() ?? "", Encoding.UTF8, "application/json");
                }
            }

            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
    }
}
