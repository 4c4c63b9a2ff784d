using Nanokit.Providers.Kubernetes.Tests.ApiServer;
using Nanokit.Runtime;

namespace Nanokit.Providers.Kubernetes.Tests;

/// <summary>A test class of the provider: a fresh test API server per test, and the provider reading it through a kubeconfig as kubectl does.</summary>
public abstract class ApiServerTest : IAsyncLifetime
{
    protected static readonly ProjectRef Shop = new("shop", "/nonexistent");

    /// <summary>Where the kubeconfig is written; removed after the test.</summary>
    protected string Scratch { get; } = Directory.CreateTempSubdirectory("nanokit-k8s-").FullName;

    private protected TestApiServer Api { get; private set; } = null!;

    protected KubernetesRuntime Provider { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Api = await TestApiServer.StartAsync();
        Provider = new KubernetesRuntime(KubeConfig.Read(Api.WriteKubeconfig(Scratch)));
    }

    public async Task DisposeAsync()
    {
        Provider.Dispose();
        await Api.DisposeAsync();
        Directory.Delete(Scratch, recursive: true);
    }
}
