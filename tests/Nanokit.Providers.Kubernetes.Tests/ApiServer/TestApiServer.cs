using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Nanokit.Providers.Kubernetes.Tests.ApiServer;

/// <summary>
/// A Kubernetes API server for tests (none can be installed here), following the real one's documented semantics for
/// what Nanokit uses: core/v1 namespaces, pods (with /log), services, secrets, configmaps, persistentvolumeclaims and events over HTTPS with a bearer token,
/// or a client certificate signed by the client CA it was started with (as <c>--client-ca-file</c>: the certificate is
/// requested in the handshake, not required, and one it does not trust is answered like no credential), 401 Status otherwise; create (201, 409 AlreadyExists, 404 for a missing namespace, 422 Invalid), get (404 NotFound), list with
/// labelSelector/fieldSelector and the store's resourceVersion, replace (409 Conflict on a stale resourceVersion), delete
/// (pods: graceful — deletionTimestamp and deletionGracePeriodSeconds set, the kubelet removes it — unless unscheduled,
/// ended or gracePeriodSeconds=0), and watch=true streams (one JSON event per line; an ERROR event with a 410 Expired
/// Status for a compacted resourceVersion), and pods/exec over WebSockets (<see cref="Exec"/>). Objects live in
/// <see cref="Store"/>; <see cref="Kubelet"/> runs the pods.
/// Not served: other groups and kinds, patch, subresources other than log and exec, SPDY, generateName, finalizers, dry-run.
/// </summary>
internal sealed class TestApiServer : IAsyncDisposable
{
    private readonly WebApplication app;

    private readonly string scratch;

    private TestApiServer(WebApplication app, ObjectStore store, Kubelet kubelet, X509Certificate2 certificate, string token, string scratch)
    {
        this.app = app;
        this.scratch = scratch;
        Store = store;
        Kubelet = kubelet;
        Certificate = certificate;
        Token = token;
        var address = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Url = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
    }

    public ObjectStore Store { get; }

    public Kubelet Kubelet { get; }

    public Uri Url { get; }

    /// <summary>The server's self-signed certificate: the kubeconfig's certificate-authority-data.</summary>
    public X509Certificate2 Certificate { get; }

    public string Token { get; }

    /// <param name="clientAuthority">The CA whose client certificates authenticate a request (kube-apiserver's <c>--client-ca-file</c>); the token still does.</param>
    public static async Task<TestApiServer> StartAsync(X509Certificate2? clientAuthority = null)
    {
        var certificate = SelfSigned();
        var token = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(https =>
        {
            https.ServerCertificate = certificate;
            if (clientAuthority is not null)
            {
                // kube-apiserver asks for a certificate (Go's tls.RequestClientCert) and judges it after the handshake, so an
                // untrusted one gets a 401 Status rather than a TLS alert.
                https.ClientCertificateMode = ClientCertificateMode.AllowCertificate;
                https.ClientCertificateValidation = (_, _, _) => true;
            }
        })));
        var app = builder.Build();
        var store = new ObjectStore();
        store.Create("namespaces", null, ObjectRules.Admit("namespaces", null, new JsonObject { ["metadata"] = new JsonObject { ["name"] = "default" } }));
        var scratch = Directory.CreateTempSubdirectory("nanokit-test-apiserver-").FullName;
        var kubelet = new Kubelet(store, scratch);
        Map(app, store, kubelet, token, clientAuthority, new Exec(store, scratch));
        await app.StartAsync().ConfigureAwait(false);
        return new TestApiServer(app, store, kubelet, certificate, token, scratch);
    }

    /// <summary>A kubeconfig in <paramref name="directory"/> whose current context is this server with its CA and token.</summary>
    public string WriteKubeconfig(string directory, string? token = null) => WriteKubeconfig(directory, [$"token: {token ?? Token}"]);

    /// <summary>A kubeconfig in <paramref name="directory"/> whose current context is this server with its CA, and user "tester" of these fields.</summary>
    public string WriteKubeconfig(string directory, IReadOnlyList<string> user)
    {
        var path = Path.Combine(directory, "kubeconfig");
        var ca = Convert.ToBase64String(Encoding.ASCII.GetBytes(Certificate.ExportCertificatePem()));
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            current-context: test
            clusters:
            - name: test-cluster
              cluster:
                server: {Url.ToString().TrimEnd('/')}
                certificate-authority-data: {ca}
            contexts:
            - name: test
              context:
                cluster: test-cluster
                user: tester
            users:
            - name: tester
              user:

            """ + string.Concat(user.Select(field => "    " + field + "\n")));
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        Store.CloseWatches();
        await Kubelet.DisposeAsync().ConfigureAwait(false);
        await app.StopAsync().ConfigureAwait(false);
        await app.DisposeAsync().ConfigureAwait(false);
        Certificate.Dispose();
        Directory.Delete(scratch, recursive: true);
    }

    private static void Map(WebApplication app, ObjectStore store, Kubelet kubelet, string token, X509Certificate2? clientAuthority, Exec exec)
    {
        app.UseWebSockets();
        app.Use(async (context, next) =>
        {
            var byCertificate = clientAuthority is not null && context.Connection.ClientCertificate is { } presented && TestCertificates.SignedBy(presented, clientAuthority);
            if (!byCertificate && context.Request.Headers.Authorization.ToString() != "Bearer " + token)
            {
                await Answer(context, new ApiError(401, "Unauthorized", "Unauthorized")).ConfigureAwait(false);
                return;
            }

            try
            {
                await next(context).ConfigureAwait(false);
            }
            catch (ApiError e)
            {
                await Answer(context, e).ConfigureAwait(false);
            }
        });

        app.MapGet("/version", () => Results.Json(new { major = "1", minor = "34", gitVersion = "v1.34.0-nanokit-test" }));
        app.MapPost("/api/v1/namespaces", context => CreateAsync(context, store, "namespaces", null));
        app.MapGet("/api/v1/namespaces", context => ListAsync(context, store, "namespaces", null));
        app.MapGet("/api/v1/namespaces/{name}", context => GetAsync(context, store, "namespaces", null, Route(context, "name")));
        app.MapDelete("/api/v1/namespaces/{name}", context => DeleteNamespaceAsync(context, store, Route(context, "name")));
        app.MapPost("/api/v1/namespaces/{ns}/{resource}", context => CreateAsync(context, store, Resource(context), Route(context, "ns")));
        app.MapGet("/api/v1/namespaces/{ns}/{resource}", context => ListAsync(context, store, Resource(context), Route(context, "ns")));
        app.MapGet("/api/v1/namespaces/{ns}/{resource}/{name}", context => GetAsync(context, store, Resource(context), Route(context, "ns"), Route(context, "name")));
        app.MapPut("/api/v1/namespaces/{ns}/{resource}/{name}", context => ReplaceAsync(context, store, Resource(context), Route(context, "ns"), Route(context, "name")));
        app.MapDelete("/api/v1/namespaces/{ns}/{resource}/{name}", context => DeleteAsync(context, store, Resource(context), Route(context, "ns"), Route(context, "name")));
        app.MapGet("/api/v1/namespaces/{ns}/pods/{name}/exec", context => exec.HandleAsync(context, Route(context, "ns"), Route(context, "name")));
        app.MapPost("/api/v1/namespaces/{ns}/pods/{name}/exec", context => exec.HandleAsync(context, Route(context, "ns"), Route(context, "name")));
        app.MapGet("/api/v1/namespaces/{ns}/pods/{name}/log", context => LogAsync(context, store, kubelet, Route(context, "ns"), Route(context, "name")));
    }

    private static async Task CreateAsync(HttpContext context, ObjectStore store, string resource, string? ns)
    {
        var body = await BodyAsync(context).ConfigureAwait(false);
        ObjectRules.Decode(resource, body);
        var obj = ObjectRules.Admit(resource, ns, body);
        await Answer(context, 201, store.Create(resource, ns, obj)).ConfigureAwait(false);
    }

    private static Task GetAsync(HttpContext context, ObjectStore store, string resource, string? ns, string name) =>
        Answer(context, 200, store.Get(resource, ns, name) ?? throw ApiError.NotFound(resource, name));

    private static async Task ListAsync(HttpContext context, ObjectStore store, string resource, string? ns)
    {
        var query = context.Request.Query;
        var labels = Selectors.Labels(query["labelSelector"]);
        var fields = Selectors.Fields(query["fieldSelector"]);
        bool Filter(JsonObject o) => labels(o) && fields(o);
        if (query["watch"] == "true" || query["watch"] == "1")
        {
            await WatchAsync(context, store, resource, ns, Filter).ConfigureAwait(false);
            return;
        }

        var (items, revision) = store.List(resource, ns, Filter);
        var list = new JsonObject
        {
            ["kind"] = ObjectRules.KindOf(resource) + "List",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject { ["resourceVersion"] = revision.ToString(CultureInfo.InvariantCulture) },
            ["items"] = new JsonArray([.. items]),
        };
        await Answer(context, 200, list).ConfigureAwait(false);
    }

    // The real server answers 200 before it knows a resourceVersion is too old, then sends the 410 as an ERROR event.
    private static async Task WatchAsync(HttpContext context, ObjectStore store, string resource, string? ns, Func<JsonObject, bool> filter)
    {
        var text = context.Request.Query["resourceVersion"].ToString();
        long? from = text.Length == 0 ? null : long.TryParse(text, CultureInfo.InvariantCulture, out var parsed) ? parsed : throw ApiError.BadRequest($"invalid resource version: {text}");
        using var ends = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        if (long.TryParse(context.Request.Query["timeoutSeconds"], CultureInfo.InvariantCulture, out var seconds))
        {
            ends.CancelAfter(TimeSpan.FromSeconds(seconds));
        }

        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        System.Threading.Channels.ChannelReader<StoredEvent> events;
        try
        {
            events = store.Watch(resource, ns, filter, from, ends.Token);
        }
        catch (ApiError e)
        {
            await WriteLineAsync(context, new JsonObject { ["type"] = "ERROR", ["object"] = e.Status() }, CancellationToken.None).ConfigureAwait(false);
            return;
        }

        await context.Response.Body.FlushAsync(ends.Token).ConfigureAwait(false);
        try
        {
            await foreach (var change in events.ReadAllAsync(ends.Token).ConfigureAwait(false))
            {
                await WriteLineAsync(context, new JsonObject { ["type"] = change.Type, ["object"] = change.Object.DeepClone() }, ends.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // The client went away or timeoutSeconds passed: the watch ends as the real server ends it, cleanly.
        }
    }

    private static async Task ReplaceAsync(HttpContext context, ObjectStore store, string resource, string ns, string name)
    {
        var sent = await BodyAsync(context).ConfigureAwait(false);
        ObjectRules.Decode(resource, sent);
        await Answer(context, 200, store.Replace(resource, ns, name, sent, (current, body) => ObjectRules.Merge(resource, current, body))).ConfigureAwait(false);
    }

    private static async Task DeleteAsync(HttpContext context, ObjectStore store, string resource, string ns, string name)
    {
        var current = store.Get(resource, ns, name) ?? throw ApiError.NotFound(resource, name);
        if (resource == "persistentvolumeclaims" && Kubelet.InUse(store, ns, name))
        {
            // pvc-protection: the claim goes when no pod that has not ended uses it.
            var protectedClaim = store.Update(resource, ns, name, claim =>
            {
                var meta = claim["metadata"]!.AsObject();
                if (meta["deletionTimestamp"] is not null)
                {
                    return false;
                }

                meta["deletionTimestamp"] = ObjectStore.Now();
                meta["deletionGracePeriodSeconds"] = 0;
                meta["finalizers"] = new JsonArray(Kubelet.ProtectionFinalizer);
                return true;
            }) ?? throw ApiError.NotFound(resource, name);
            await Answer(context, 200, protectedClaim).ConfigureAwait(false);
            return;
        }

        if (resource != "pods")
        {
            await Answer(context, 200, store.Remove(resource, ns, name) ?? throw ApiError.NotFound(resource, name)).ConfigureAwait(false);
            return;
        }

        var grace = await GraceAsync(context).ConfigureAwait(false) ?? current["spec"]!["terminationGracePeriodSeconds"]!.GetValue<long>();
        var phase = current["status"]?["phase"]?.GetValue<string>();
        if (grace <= 0 || current["spec"]!["nodeName"] is null || phase is "Succeeded" or "Failed")
        {
            await Answer(context, 200, store.Remove(resource, ns, name) ?? throw ApiError.NotFound(resource, name)).ConfigureAwait(false);
            return;
        }

        // Graceful: the pod stays, marked, until the kubelet has stopped it; a later delete may only shorten the grace.
        var marked = store.Update(resource, ns, name, pod =>
        {
            var meta = pod["metadata"]!.AsObject();
            if (meta["deletionGracePeriodSeconds"]?.GetValue<long>() is { } already && already <= grace)
            {
                return false;
            }

            meta["deletionGracePeriodSeconds"] = grace;
            meta["deletionTimestamp"] = DateTimeOffset.UtcNow.AddSeconds(grace).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
            return true;
        }) ?? throw ApiError.NotFound(resource, name);
        await Answer(context, 200, marked).ConfigureAwait(false);
    }

    private static async Task DeleteNamespaceAsync(HttpContext context, ObjectStore store, string name)
    {
        var gone = store.Remove("namespaces", null, name) ?? throw ApiError.NotFound("namespaces", name);
        foreach (var resource in new[] { "pods", "services", "secrets", "configmaps", "persistentvolumeclaims", "events" })
        {
            foreach (var item in store.List(resource, name, _ => true).Items)
            {
                store.Remove(resource, name, item["metadata"]!["name"]!.GetValue<string>());
            }
        }

        await Answer(context, 200, gone).ConfigureAwait(false);
    }

    private static async Task LogAsync(HttpContext context, ObjectStore store, Kubelet kubelet, string ns, string name)
    {
        _ = store.Get("pods", ns, name) ?? throw ApiError.NotFound("pods", name);
        var lines = kubelet.Logs(ns, name);
        if (int.TryParse(context.Request.Query["tailLines"], CultureInfo.InvariantCulture, out var tail))
        {
            lines = [.. lines.TakeLast(tail)];
        }

        context.Response.ContentType = "text/plain";
        await context.Response.WriteAsync(string.Concat(lines.Select(l => l + "\n"))).ConfigureAwait(false);
    }

    private static async Task<long?> GraceAsync(HttpContext context)
    {
        if (long.TryParse(context.Request.Query["gracePeriodSeconds"], CultureInfo.InvariantCulture, out var fromQuery))
        {
            return fromQuery;
        }

        if (context.Request.ContentLength is null or 0 && !context.Request.Headers.TransferEncoding.Any())
        {
            return null;
        }

        var options = await BodyAsync(context).ConfigureAwait(false);
        return options["gracePeriodSeconds"]?.GetValue<long>();
    }

    private static async Task<JsonObject> BodyAsync(HttpContext context)
    {
        try
        {
            return await JsonNode.ParseAsync(context.Request.Body).ConfigureAwait(false) as JsonObject ?? throw ApiError.BadRequest("the body is not a JSON object");
        }
        catch (JsonException e)
        {
            throw ApiError.BadRequest($"the body is not valid JSON: {e.Message}");
        }
    }

    private static string Route(HttpContext context, string key) => (string)context.Request.RouteValues[key]!;

    private static string Resource(HttpContext context)
    {
        var resource = Route(context, "resource");
        _ = ObjectRules.KindOf(resource);
        return resource is "namespaces" ? throw new ApiError(404, "NotFound", "the server could not find the requested resource") : resource;
    }

    private static Task Answer(HttpContext context, ApiError error) => Answer(context, error.Code, error.Status());

    private static async Task Answer(HttpContext context, int code, JsonObject body)
    {
        context.Response.StatusCode = code;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString()).ConfigureAwait(false);
    }

    private static async Task WriteLineAsync(HttpContext context, JsonObject line, CancellationToken cancellationToken)
    {
        await context.Response.WriteAsync(line.ToJsonString() + "\n", cancellationToken).ConfigureAwait(false);
        await context.Response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static X509Certificate2 SelfSigned()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=nanokit-test-apiserver", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null);
    }
}
