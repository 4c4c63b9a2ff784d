namespace Nanokit.Providers.Kubernetes;

/// <summary>Settings of <see cref="KubernetesRuntime"/>; built once, validated in one place.</summary>
public sealed record KubernetesRuntimeOptions
{
    /// <summary>The longest one API call (not a watch) may take before it fails naming the server. Default 30 s.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public void Validate() => ArgumentOutOfRangeException.ThrowIfLessThan(RequestTimeout, TimeSpan.FromMilliseconds(1));
}
