using Nanokit.Core.Model;
using Nanokit.Providers.Docker;
using Nanokit.Providers.Kubernetes;
using Nanokit.Providers.Local;
using Nanokit.Runtime;

namespace Nanokit.Cli.Running;

/// <summary>
/// The provider a project's <c>runtime:</c> names; Docker's daemon comes from <c>DOCKER_HOST</c> as the docker CLI reads it,
/// the Kubernetes API server from the kubeconfig kubectl would use (<c>KUBECONFIG</c>, else <c>~/.kube/config</c>).
/// Whoever creates a provider owns it and disposes it through <see cref="Own"/> when its command ends.
/// </summary>
internal static class RuntimeProviders
{
    public static IRuntimeProvider For(ProjectSpec spec, CliContext context) => spec.Runtime switch
    {
        RuntimeKind.Local => new LocalRuntime(),
        RuntimeKind.Docker => new DockerRuntime(new DockerRuntimeOptions { Endpoint = DockerHost(spec, context) }),
        RuntimeKind.Kubernetes => Kubernetes(spec, context),
        _ => throw new RuntimeUnavailableException(
            $"{spec.Name}: runtime \"{spec.Runtime.ToString().ToLowerInvariant()}\" is not available in this build yet; use runtime: local"),
    };

    private static DockerEndpoint DockerHost(ProjectSpec spec, CliContext context)
    {
        var value = context.Environment.GetValueOrDefault("DOCKER_HOST");
        try
        {
            return DockerEndpoint.Parse(value);
        }
        catch (ArgumentException e)
        {
            throw new RuntimeUnavailableException($"{spec.Name}: DOCKER_HOST \"{value}\" is not usable: {e.Message}");
        }
    }

    private static KubernetesRuntime Kubernetes(ProjectSpec spec, CliContext context)
    {
        try
        {
            return KubernetesRuntime.FromEnvironment(context.Environment.GetValueOrDefault);
        }
        catch (KubeConfigException e)
        {
            throw new RuntimeUnavailableException($"{spec.Name}: runtime kubernetes: {e.Message}");
        }
    }

    /// <summary>The provider, or null after writing why it is unavailable to stderr.</summary>
    public static IRuntimeProvider? ForOrReport(ProjectSpec spec, CliContext context)
    {
        try
        {
            return For(spec, context);
        }
        catch (RuntimeUnavailableException e)
        {
            context.Error.WriteLine(e.Message);
            return null;
        }
    }

    /// <summary>A handle for <c>await using</c> that disposes <paramref name="provider"/> through <see cref="DisposeAsync"/>.</summary>
    public static IAsyncDisposable Own(IRuntimeProvider provider) => new Owned(provider);

    /// <summary>Disposes the provider if it holds anything (Docker's owns an HTTP client; the local runtime holds nothing).</summary>
    public static ValueTask DisposeAsync(IRuntimeProvider provider)
    {
        switch (provider)
        {
            case IAsyncDisposable disposable:
                return disposable.DisposeAsync();
            case IDisposable disposable:
                disposable.Dispose();
                break;
        }

        return ValueTask.CompletedTask;
    }

    private sealed class Owned(IRuntimeProvider provider) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => RuntimeProviders.DisposeAsync(provider);
    }
}

internal sealed class RuntimeUnavailableException(string message) : Exception(message);
