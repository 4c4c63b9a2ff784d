namespace Nanokit.Providers.Docker;

/// <summary>Settings of <see cref="DockerRuntime"/>; built once, validated in one place.</summary>
public sealed record DockerRuntimeOptions
{
    /// <summary>The daemon; default from DOCKER_HOST, else /var/run/docker.sock.</summary>
    public DockerEndpoint Endpoint { get; init; } = DockerEndpoint.FromEnvironment();

    /// <summary>How much of a hook's output <see cref="Nanokit.Runtime.HookResult.OutputTail"/> keeps, in characters.</summary>
    public int HookOutputTailChars { get; init; } = 4096;

    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Endpoint);
        ArgumentOutOfRangeException.ThrowIfLessThan(HookOutputTailChars, 1);
    }
}
