using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Nanokit.Providers.Kubernetes.Tests.ApiServer;

namespace Nanokit.Providers.Kubernetes.Tests;

/// <summary>The test API server itself, over HTTP as any client sees it, against the semantics the real one documents.</summary>
public sealed class ApiServerTests : IAsyncLifetime
{
    private TestApiServer server = null!;
    private HttpClient http = null!;

    public async Task InitializeAsync()
    {
        server = await TestApiServer.StartAsync();
        http = Client(server.Token);
        await SendAsync(HttpMethod.Post, "/api/v1/namespaces", """{"metadata":{"name":"shop"}}""");
    }

    public async Task DisposeAsync()
    {
        http.Dispose();
        await server.DisposeAsync();
    }

    [Fact]
    public async Task Creating_a_pod_twice_answers_409_AlreadyExists_with_a_Status_body()
    {
        var (created, _) = await SendAsync(HttpMethod.Post, "/api/v1/namespaces/shop/pods", Pod("web-1"));
        var (code, body) = await SendAsync(HttpMethod.Post, "/api/v1/namespaces/shop/pods", Pod("web-1"));

        Assert.Equal(HttpStatusCode.Created, created);
        Assert.Equal(HttpStatusCode.Conflict, code);
        Assert.Equal(("Status", "Failure", "AlreadyExists", 409, "pods \"web-1\" already exists"), Status(body));
        Assert.Equal(("web-1", "pods"), ((string)body["details"]!["name"]!, (string)body["details"]!["kind"]!));
    }

    [Fact]
    public async Task A_missing_pod_or_namespace_answers_404_NotFound()
    {
        var (code, body) = await SendAsync(HttpMethod.Get, "/api/v1/namespaces/shop/pods/ghost", null);
        var (inMissing, missingBody) = await SendAsync(HttpMethod.Post, "/api/v1/namespaces/nowhere/pods", Pod("web-1"));
        var (deleted, _) = await SendAsync(HttpMethod.Delete, "/api/v1/namespaces/shop/pods/ghost", null);

        Assert.Equal((HttpStatusCode.NotFound, ("Status", "Failure", "NotFound", 404, "pods \"ghost\" not found")), (code, Status(body)));
        Assert.Equal((HttpStatusCode.NotFound, "namespaces \"nowhere\" not found"), (inMissing, (string)missingBody["message"]!));
        Assert.Equal(HttpStatusCode.NotFound, deleted);
    }

    [Fact]
    public async Task An_invalid_pod_answers_422_Invalid_with_one_cause_per_field()
    {
        var (code, body) = await SendAsync(HttpMethod.Post, "/api/v1/namespaces/shop/pods",
            """{"metadata":{"name":"Web_1","labels":{"app":"-bad"}},"spec":{"containers":[{"name":"web"}]}}""");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, code);
        Assert.Equal("Invalid", (string)body["reason"]!);
        Assert.Equal(
            ["metadata.name", "metadata.labels", "spec.containers[0].image"],
            body["details"]!["causes"]!.AsArray().Select(c => (string)c!["field"]!).ToArray());
        Assert.StartsWith("Pod \"Web_1\" is invalid: [metadata.name: Invalid value", (string)body["message"]!);
    }

    [Theory]
    [InlineData("\"5GB\"", Quantity.FormatWrong)]
    [InlineData("\"5gi\"", Quantity.FormatWrong)]
    [InlineData("\"1e1.5\"", Quantity.FormatWrong)]
    [InlineData("\"\"", Quantity.FormatWrong)]
    [InlineData("\"5ki\"", Quantity.SuffixWrong)]
    [InlineData("\"1e\"", Quantity.SuffixWrong)]
    [InlineData("\"e-10\"", Quantity.NumericWrong)]
    [InlineData("true", Quantity.FormatWrong)]
    public async Task A_claim_whose_storage_request_does_not_scan_as_a_quantity_fails_decoding_with_400_BadRequest(string storage, string error)
    {
        var (code, body) = await SendAsync(HttpMethod.Post, "/api/v1/namespaces/shop/persistentvolumeclaims", Claim("data", storage));

        Assert.Equal(HttpStatusCode.BadRequest, code);
        Assert.Equal(("Status", "Failure", "BadRequest", 400, $"PersistentVolumeClaim in version \"v1\" cannot be handled as a PersistentVolumeClaim: {error}"), Status(body));
        Assert.Null(server.Store.Get("persistentvolumeclaims", "shop", "data"));
    }

    [Theory]
    [InlineData("\"0\"", "0")]
    [InlineData("\"-1Gi\"", "-1Gi")]
    [InlineData("\"Gi\"", "0")]
    [InlineData("\".\"", "0")]
    [InlineData("\"0.000Ki\"", "0")]
    [InlineData("-5", "-5")]
    public async Task A_claim_requesting_no_storage_or_less_answers_422_Invalid_naming_spec_resources_storage(string storage, string shown)
    {
        var (code, body) = await SendAsync(HttpMethod.Post, "/api/v1/namespaces/shop/persistentvolumeclaims", Claim("data", storage));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, code);
        Assert.Equal(("Status", "Failure", "Invalid", 422, $"PersistentVolumeClaim \"data\" is invalid: spec.resources[storage]: Invalid value: \"{shown}\": must be greater than zero"), Status(body));
        var cause = Assert.Single(body["details"]!["causes"]!.AsArray());
        Assert.Equal(("spec.resources[storage]", "FieldValueInvalid"), ((string)cause!["field"]!, (string)cause["reason"]!));
        Assert.Null(server.Store.Get("persistentvolumeclaims", "shop", "data"));
    }

    [Theory]
    [InlineData("\"5Gi\"")]
    [InlineData("\" 1.5Gi \"")]
    [InlineData("\".5Ki\"")]
    [InlineData("\"1E\"")]
    [InlineData("\"1e-9\"")]
    [InlineData("\"+2k\"")]
    [InlineData("\"5.\"")]
    [InlineData("1000000000")]
    public async Task A_claim_requesting_a_positive_quantity_in_any_of_its_forms_is_created(string storage)
    {
        var (code, body) = await SendAsync(HttpMethod.Post, "/api/v1/namespaces/shop/persistentvolumeclaims", Claim("data", storage));

        Assert.True(code == HttpStatusCode.Created, body.ToJsonString());
    }

    [Fact]
    public async Task A_replace_with_a_stale_resourceVersion_answers_409_Conflict_and_generation_moves_with_the_spec_only()
    {
        var (_, created) = await SendAsync(HttpMethod.Post, "/api/v1/namespaces/shop/services", Service("web", 80));
        var first = (string)created["metadata"]!["resourceVersion"]!;

        var (labelled, relabelled) = await SendAsync(HttpMethod.Put, "/api/v1/namespaces/shop/services/web", With(Service("web", 80), first, label: "x"));
        var (stale, conflict) = await SendAsync(HttpMethod.Put, "/api/v1/namespaces/shop/services/web", With(Service("web", 81), first));
        var (moved, reported) = await SendAsync(HttpMethod.Put, "/api/v1/namespaces/shop/services/web", With(Service("web", 81), (string)relabelled["metadata"]!["resourceVersion"]!));

        Assert.Equal((HttpStatusCode.OK, 1L), (labelled, (long)relabelled["metadata"]!["generation"]!));
        Assert.True(long.Parse((string)relabelled["metadata"]!["resourceVersion"]!) > long.Parse(first));
        Assert.Equal((HttpStatusCode.Conflict, "Conflict"), (stale, (string)conflict["reason"]!));
        Assert.Contains("the object has been modified", (string)conflict["message"]!);
        Assert.Equal((HttpStatusCode.OK, 2L, 81), (moved, (long)reported["metadata"]!["generation"]!, (int)reported["spec"]!["ports"]![0]!["port"]!));
        Assert.Equal(created["spec"]!["clusterIP"]!.ToString(), reported["spec"]!["clusterIP"]!.ToString());
    }

    [Fact]
    public async Task A_list_filters_by_label_selector_and_answers_the_store_resourceVersion()
    {
        await SendAsync(HttpMethod.Post, "/api/v1/namespaces/shop/pods", Pod("web-1", ("tier", "front"), ("app", "web")));
        await SendAsync(HttpMethod.Post, "/api/v1/namespaces/shop/pods", Pod("db-1", ("tier", "back"), ("app", "db")));
        await SendAsync(HttpMethod.Post, "/api/v1/namespaces/shop/pods", Pod("job-1", ("app", "job")));

        async Task<string[]> Names(string selector)
        {
            var (_, list) = await SendAsync(HttpMethod.Get, "/api/v1/namespaces/shop/pods?labelSelector=" + Uri.EscapeDataString(selector), null);
            Assert.Equal(server.Store.Revision.ToString(), (string)list["metadata"]!["resourceVersion"]!);
            return list["items"]!.AsArray().Select(i => (string)i!["metadata"]!["name"]!).ToArray();
        }

        Assert.Equal(["web-1"], await Names("tier=front"));
        Assert.Equal(["job-1", "web-1"], await Names("tier!=back"));
        Assert.Equal(["db-1", "web-1"], await Names("app in (web,db),tier"));
        Assert.Equal(["job-1"], await Names("!tier"));
        Assert.Equal(["db-1", "job-1"], await Names("app notin (web)"));
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(HttpMethod.Get, "/api/v1/namespaces/shop/pods?labelSelector=" + Uri.EscapeDataString("a in b"), null)).Code);
    }

    [Fact]
    public async Task A_pod_is_scheduled_then_runs_with_its_conditions_seen_through_a_watch()
    {
        var (_, list) = await SendAsync(HttpMethod.Get, "/api/v1/namespaces/shop/pods", null);
        using var watch = await WatchAsync($"/api/v1/namespaces/shop/pods?watch=true&resourceVersion={list["metadata"]!["resourceVersion"]}");
        await SendAsync(HttpMethod.Post, "/api/v1/namespaces/shop/pods", Pod("web-1"));

        var added = await watch.NextAsync();
        Assert.Equal(("ADDED", "Pending"), ((string)added["type"]!, (string)added["object"]!["status"]!["phase"]!));
        JsonObject running;
        do
        {
            running = await watch.NextAsync();
        }
        while ((string?)running["object"]!["status"]!["phase"] != "Running");

        var conditions = running["object"]!["status"]!["conditions"]!.AsArray().ToDictionary(c => (string)c!["type"]!, c => (string)c!["status"]!);
        Assert.Equal("test-node", (string)running["object"]!["spec"]!["nodeName"]!);
        Assert.Equal(("True", "True", "True"), (conditions["PodScheduled"], conditions["Initialized"], conditions["Ready"]));
    }

    [Fact]
    public async Task Deleting_a_running_pod_marks_it_with_a_deletionTimestamp_until_the_kubelet_has_stopped_it()
    {
        server.Kubelet.IgnoreTerm("shop", "web-1");
        var (_, list) = await SendAsync(HttpMethod.Get, "/api/v1/namespaces/shop/pods?fieldSelector=metadata.name%3Dweb-1", null);
        using var watch = await WatchAsync($"/api/v1/namespaces/shop/pods?watch=true&fieldSelector=metadata.name%3Dweb-1&resourceVersion={list["metadata"]!["resourceVersion"]}");
        await SendAsync(HttpMethod.Post, "/api/v1/namespaces/shop/pods", Pod("web-1"));
        await WaitRunningAsync(watch);

        var (code, marked) = await SendAsync(HttpMethod.Delete, "/api/v1/namespaces/shop/pods/web-1", """{"kind":"DeleteOptions","apiVersion":"v1","gracePeriodSeconds":1}""");
        var (_, stillThere) = await SendAsync(HttpMethod.Get, "/api/v1/namespaces/shop/pods/web-1", null);

        Assert.Equal((HttpStatusCode.OK, 1L), (code, (long)marked["metadata"]!["deletionGracePeriodSeconds"]!));
        Assert.NotNull(stillThere["metadata"]!["deletionTimestamp"]);
        JsonObject change;
        do
        {
            change = await watch.NextAsync();
        }
        while ((string)change["type"]! != "DELETED");

        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Get, "/api/v1/namespaces/shop/pods/web-1", null)).Code);
    }

    [Fact]
    public async Task A_watch_from_a_compacted_resourceVersion_gets_an_ERROR_event_410_Expired()
    {
        var (_, list) = await SendAsync(HttpMethod.Get, "/api/v1/namespaces/shop/pods", null);
        await SendAsync(HttpMethod.Post, "/api/v1/namespaces/shop/pods", Pod("web-1"));
        server.Store.Compact();

        using var watch = await WatchAsync($"/api/v1/namespaces/shop/pods?watch=true&resourceVersion={list["metadata"]!["resourceVersion"]}");
        var error = await watch.NextAsync();

        Assert.Equal("ERROR", (string)error["type"]!);
        var (kind, status, reason, code, message) = Status(error["object"]!.AsObject());
        Assert.Equal(("Status", "Failure", "Expired", 410), (kind, status, reason, code));
        Assert.StartsWith("too old resource version: ", message);
    }

    [Fact]
    public async Task A_secret_folds_stringData_into_base64_data_defaults_to_Opaque_and_refuses_bad_keys_and_a_type_change()
    {
        var (created, secret) = await SendAsync(HttpMethod.Post, "/api/v1/namespaces/shop/secrets", """{"metadata":{"name":"db"},"stringData":{"password":"hunter2"}}""");
        var (badKey, invalid) = await SendAsync(HttpMethod.Post, "/api/v1/namespaces/shop/secrets", """{"metadata":{"name":"other"},"data":{"a/b":"eA=="}}""");
        var (notBase64, _) = await SendAsync(HttpMethod.Post, "/api/v1/namespaces/shop/secrets", """{"metadata":{"name":"other"},"data":{"x":"%%%"}}""");
        var defaulted = (string)secret["type"]!;
        secret["type"] = "kubernetes.io/tls";
        var (retyped, immutable) = await SendAsync(HttpMethod.Put, "/api/v1/namespaces/shop/secrets/db", secret.ToJsonString());

        Assert.Equal((HttpStatusCode.Created, "Opaque", "aHVudGVyMg=="), (created, defaulted, (string)secret["data"]!["password"]!));
        Assert.Null(secret["stringData"]);
        Assert.Equal((HttpStatusCode.UnprocessableEntity, "data[a/b]"), (badKey, (string)invalid["details"]!["causes"]![0]!["field"]!));
        Assert.Equal(HttpStatusCode.BadRequest, notBase64);
        Assert.Equal((HttpStatusCode.UnprocessableEntity, "type"), (retyped, (string)immutable["details"]!["causes"]![0]!["field"]!));
    }

    [Fact]
    public async Task A_pod_volume_is_validated_and_the_pod_waits_in_ContainerCreating_until_its_configmap_exists()
    {
        var (invalid, causes) = await SendAsync(HttpMethod.Post, "/api/v1/namespaces/shop/pods", MountingPod("web-1", mode: 512, mountName: "other", subPath: "../x"));
        using var watch = await WatchAsync("/api/v1/namespaces/shop/pods?watch=true");
        var (created, _) = await SendAsync(HttpMethod.Post, "/api/v1/namespaces/shop/pods", MountingPod("web-1", mode: 256, mountName: "motd", subPath: "content"));
        JsonObject pod;
        do
        {
            pod = (await watch.NextAsync())["object"]!.AsObject();
        }
        while (pod["status"]!["containerStatuses"] is null);
        var waiting = (string)pod["status"]!["containerStatuses"]![0]!["state"]!["waiting"]!["reason"]!;
        await SendAsync(HttpMethod.Post, "/api/v1/namespaces/shop/configmaps", """{"metadata":{"name":"motd"},"data":{"content":"hello"}}""");
        await WaitRunningAsync(watch);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, invalid);
        Assert.Equal(
            ["spec.volumes[0].configMap.items[0].mode", "spec.containers[0].volumeMounts[0].name", "spec.containers[0].volumeMounts[0].subPath"],
            causes["details"]!["causes"]!.AsArray().Select(c => (string)c!["field"]!).ToArray());
        Assert.Equal((HttpStatusCode.Created, "Pending", "ContainerCreating"), (created, (string)pod["status"]!["phase"]!, waiting));
        var file = server.Kubelet.Files("shop", "web-1")["/etc/motd"];
        Assert.Equal(("hello", 256), (Encoding.UTF8.GetString(file.Content), file.Mode));
    }

    [Fact]
    public async Task A_request_without_the_token_answers_401_Unauthorized()
    {
        using var stranger = Client("wrong");
        using var response = await stranger.GetAsync("/api/v1/namespaces/shop/pods");
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();

        Assert.Equal((HttpStatusCode.Unauthorized, "Unauthorized"), (response.StatusCode, (string)body["reason"]!));
    }

    private static async Task WaitRunningAsync(Watch watch)
    {
        while ((string?)(await watch.NextAsync())["object"]!["status"]!["phase"] != "Running")
        {
        }
    }

    private HttpClient Client(string token)
    {
        var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, certificate, _, _) => certificate?.Thumbprint == server.Certificate.Thumbprint };
        var client = new HttpClient(handler) { BaseAddress = server.Url };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private async Task<(HttpStatusCode Code, JsonObject Body)> SendAsync(HttpMethod method, string path, string? json)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        using var response = await http.SendAsync(request);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject());
    }

    private async Task<Watch> WatchAsync(string path)
    {
        var response = await http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return new Watch(response, new StreamReader(await response.Content.ReadAsStreamAsync()));
    }

    private static (string, string, string, int, string) Status(JsonObject body) =>
        ((string)body["kind"]!, (string)body["status"]!, (string)body["reason"]!, (int)body["code"]!, (string)body["message"]!);

    private static string Pod(string name, params (string Key, string Value)[] labels) =>
        new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = new JsonObject(labels.Select(l => KeyValuePair.Create(l.Key, (JsonNode?)l.Value))) },
            ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "main", ["image"] = "app:1" }) },
        }.ToJsonString();

    private static string MountingPod(string name, int mode, string mountName, string subPath) =>
        $$$"""
        {"metadata":{"name":"{{{name}}}"},"spec":{
          "volumes":[{"name":"motd","configMap":{"name":"motd","items":[{"key":"content","path":"content","mode":{{{mode}}}}]}}],
          "containers":[{"name":"main","image":"app:1","volumeMounts":[{"name":"{{{mountName}}}","mountPath":"/etc/motd","subPath":"{{{subPath}}}","readOnly":true}]}]}}
        """;

    private static string Claim(string name, string storageJson) =>
        $$"""{"metadata":{"name":"{{name}}"},"spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":""" + storageJson + "}}}}";

    private static string Service(string name, int port) =>
        $$$"""{"metadata":{"name":"{{{name}}}"},"spec":{"selector":{"app":"{{{name}}}"},"ports":[{"port":{{{port}}}}]}}""";

    private static string With(string service, string resourceVersion, string? label = null)
    {
        var obj = JsonNode.Parse(service)!.AsObject();
        obj["metadata"]!["resourceVersion"] = resourceVersion;
        if (label is not null)
        {
            obj["metadata"]!["labels"] = new JsonObject { ["mark"] = label };
        }

        return obj.ToJsonString();
    }

    private sealed class Watch(HttpResponseMessage response, StreamReader reader) : IDisposable
    {
        public async Task<JsonObject> NextAsync()
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var line = await reader.ReadLineAsync(timeout.Token) ?? throw new InvalidOperationException("the watch ended");
            return JsonNode.Parse(line)!.AsObject();
        }

        public void Dispose()
        {
            reader.Dispose();
            response.Dispose();
        }
    }
}
