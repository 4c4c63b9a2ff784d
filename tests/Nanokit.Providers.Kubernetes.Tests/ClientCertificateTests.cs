using System.Security.Cryptography.X509Certificates;
using System.Text;
using Nanokit.Core.Model;
using Nanokit.Providers.Kubernetes.Tests.ApiServer;
using Nanokit.Runtime;

namespace Nanokit.Providers.Kubernetes.Tests;

/// <summary>
/// Kubeconfig users that authenticate with a client certificate (as kind, minikube and kubeadm write them), against a test
/// API server that trusts the certificates of its own client CA only.
/// </summary>
public sealed class ClientCertificateTests : IAsyncLifetime
{
    private static readonly ProjectRef Shop = new("shop", "/nonexistent");
    private readonly string directory = Directory.CreateTempSubdirectory("nanokit-k8s-certs-").FullName;
    private readonly X509Certificate2 authority = TestCertificates.Authority("nanokit-test-client-ca");
    private TestApiServer server = null!;

    public async Task InitializeAsync() => server = await TestApiServer.StartAsync(authority);

    public async Task DisposeAsync()
    {
        await server.DisposeAsync();
        authority.Dispose();
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task Up_status_and_down_authenticate_with_the_client_certificate_data_of_the_kubeconfig()
    {
        var (certificate, key) = TestCertificates.Client(authority, "kubernetes-admin");
        WriteProject("""
                hooks:
                  poststart: [sh, -c, "echo exec-with-a-certificate"]
            """);
        var environment = new Dictionary<string, string> { ["KUBECONFIG"] = server.WriteKubeconfig(directory, [$"client-certificate-data: {Base64(certificate)}", $"client-key-data: {Base64(key)}"]) };
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(2));

        // up: REST calls, the watch that waits for the pod to leave Pending, and the poststart hook through pods/exec.
        await using var up = NkappProcess.Start(directory, environment, ["up"]);
        await up.Process.WaitForExitAsync(stop.Token);
        Assert.True(up.Process.ExitCode == 0, up.Output);
        Assert.Contains("exec-with-a-certificate", up.Output);
        Assert.Equal("Running", (string)server.Store.Get("pods", "shop", "web-1")!["status"]!["phase"]!);

        await using var status = NkappProcess.Start(directory, environment, ["status"]);
        await status.Process.WaitForExitAsync(stop.Token);
        Assert.True(status.Process.ExitCode == 0, status.Output);
        Assert.Matches(@"(?m)^web\s+1\s+running", status.Output);

        await using var down = NkappProcess.Start(directory, environment, ["down"]);
        await down.Process.WaitForExitAsync(stop.Token);
        Assert.True(down.Process.ExitCode == 0, down.Output);
        Assert.Empty(server.Store.List("pods", "shop", _ => true).Items);
    }

    [Fact]
    public async Task The_file_forms_are_read_relative_to_the_kubeconfig_directory_and_an_EC_key_works()
    {
        var (certificate, key) = TestCertificates.Client(authority, "minikube-user", ec: true);
        Directory.CreateDirectory(Path.Combine(directory, "certs"));
        File.WriteAllText(Path.Combine(directory, "certs", "client.crt"), certificate);
        File.WriteAllText(Path.Combine(directory, "certs", "client.key"), key);
        var config = KubeConfig.Read(server.WriteKubeconfig(directory, ["client-certificate: certs/client.crt", "client-key: certs/client.key"]));
        using var provider = new KubernetesRuntime(config);
        var web = new ServiceSpec
        {
            Name = "web",
            Image = "app:1",
            StopGracePeriod = TimeSpan.FromSeconds(5),
            Hooks = new HooksSpec(null, new Hook(["sh", "-c", "echo from-exec"], HookLocation.Service, TimeSpan.Zero), null),
        };

        await provider.CreateAsync(new ReplicaSpec(Shop, web, 1, "hash-a", 1), default);
        var observed = await provider.ObserveAsync(Shop, default);
        var hook = await provider.RunHookAsync(Shop, web, HookKind.Poststart, default);
        await provider.DeleteAsync(new ReplicaId(Shop, "web", 1), null, default);

        Assert.Equal(["web"], observed.Replicas.Select(r => r.Service));
        Assert.True(hook.Succeeded, hook.OutputTail);
        Assert.Contains("from-exec", hook.OutputTail);
        Assert.Null(server.Store.Get("pods", "shop", "web-1"));
    }

    [Fact]
    public async Task A_client_certificate_of_another_CA_is_answered_401_and_up_fails_naming_the_kubeconfig_user_and_field()
    {
        using var stranger = TestCertificates.Authority("some-other-ca");
        var (certificate, key) = TestCertificates.Client(stranger, "kubernetes-admin");
        WriteProject("");
        var kubeconfig = server.WriteKubeconfig(directory, [$"client-certificate-data: {Base64(certificate)}", $"client-key-data: {Base64(key)}"]);
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(2));

        await using var up = NkappProcess.Start(directory, new Dictionary<string, string> { ["KUBECONFIG"] = kubeconfig }, ["up"]);
        await up.Process.WaitForExitAsync(stop.Token);

        Assert.True(up.Process.ExitCode == 1, up.Output);
        Assert.Contains($"Unauthorized (check the client certificate, kubeconfig {kubeconfig}:17:5: client-certificate-data of user \"tester\") (401 Unauthorized)", up.Output);
        Assert.Null(server.Store.Get("namespaces", null, "shop"));
    }

    [Fact]
    public async Task A_key_that_does_not_match_its_certificate_is_a_located_error_at_validate_and_at_up_before_anything_is_created()
    {
        var (certificate, _) = TestCertificates.Client(authority, "kubernetes-admin");
        var (_, otherKey) = TestCertificates.Client(authority, "kubernetes-admin");
        WriteProject("");
        var kubeconfig = server.WriteKubeconfig(directory, [$"client-certificate-data: {Base64(certificate)}", $"client-key-data: {Base64(otherKey)}"]);
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(2));

        var environment = new Dictionary<string, string> { ["KUBECONFIG"] = kubeconfig };
        var expected = $"shop: runtime kubernetes: kubeconfig {kubeconfig}:18:5: client-key-data in user \"tester\" does not match client-certificate-data";

        await using var validate = NkappProcess.Start(directory, environment, ["validate"]);
        await validate.Process.WaitForExitAsync(stop.Token);
        await using var up = NkappProcess.Start(directory, environment, ["up"]);
        await up.Process.WaitForExitAsync(stop.Token);

        Assert.True(validate.Process.ExitCode == 1, validate.Output);
        Assert.Contains(expected, validate.Output);
        Assert.True(up.Process.ExitCode == 1, up.Output);
        Assert.Contains(expected, up.Output);
        Assert.Null(server.Store.Get("namespaces", null, "shop"));
        Assert.Empty(server.Store.List("pods", null, _ => true).Items);
    }

    [Fact]
    public void A_certificate_without_its_key_or_a_key_that_is_not_a_key_is_a_located_error()
    {
        var (certificate, _) = TestCertificates.Client(authority, "kubernetes-admin");
        var lone = server.WriteKubeconfig(directory, [$"client-certificate-data: {Base64(certificate)}"]);
        var alone = Assert.Throws<KubeConfigException>(() => KubeConfig.Read(lone));
        var garbled = server.WriteKubeconfig(directory, [$"client-certificate-data: {Base64(certificate)}", $"client-key-data: {Base64(certificate)}"]);
        var notKey = Assert.Throws<KubeConfigException>(() => KubeConfig.Read(garbled));

        Assert.Equal($"kubeconfig {lone}:17:5: client-certificate-data in user \"tester\" has no client-key or client-key-data beside it", alone.Message);
        Assert.StartsWith($"kubeconfig {garbled}:18:5: client-key-data in user \"tester\" is not a PEM RSA or EC private key", notKey.Message);
    }

    private static string Base64(string pem) => Convert.ToBase64String(Encoding.ASCII.GetBytes(pem));

    private void WriteProject(string webExtra) => File.WriteAllText(Path.Combine(directory, "nanokit.yml"), $"""
        name: shop
        runtime: kubernetes
        services:
          web:
            image: nginx:1.27
        {webExtra}
        """);
}
