namespace Nanokit.Providers.Docker;

/// <summary>Settings of <see cref="DockerRuntime"/>; built once, validated in one place.</summary>
public sealed record DockerRuntimeOptions
{
    /// <summary>The daemon; default from DOCKER_HOST, else /var/run/docker.sock.</summary>
    public DockerEndpoint Endpoint { get; init; } = DockerEndpoint.FromEnvironment();

    /// <summary>How much of a hook's output <see cref="Nanokit.Runtime.HookResult.OutputTail"/> keeps, in characters.</summary>
    public int HookOutputTailChars { get; init; } = 4096;

    /// <summary>
    /// Active readiness: the pause after the first failed readiness probe of a replica being waited for (the first probe
    /// runs right away); it doubles after each failure up to <see cref="ReadinessProbeMaxDelay"/>. Default 50 ms.
    /// </summary>
    public TimeSpan ReadinessProbeFirstDelay { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The longest pause between two readiness probes of one replica. Default 1 s.</summary>
    public TimeSpan ReadinessProbeMaxDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How many readiness probes (execs) may run at once across the runtime, so a big project cannot flood the daemon. Default 8.</summary>
    public int ReadinessProbeConcurrency { get; init; } = 8;

    /// <summary>How many replicas of a run's later layers are created ahead of their turn at once (DockerRuntime.Prepare.cs). Default 4.</summary>
    public int PrepareConcurrency { get; init; } = 4;

    /// <summary>
    /// The longest a readiness probe or a create ahead of its turn waits for the container starts in flight when it falls
    /// due (DockerRuntime.Starts.cs), so that a start the daemon does not answer holds nothing else for long. Default 10 s.
    /// </summary>
    public TimeSpan StartsFirstLimit { get; init; } = TimeSpan.FromSeconds(10);

    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Endpoint);
        ArgumentOutOfRangeException.ThrowIfLessThan(HookOutputTailChars, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(ReadinessProbeFirstDelay, TimeSpan.FromMilliseconds(1));
        ArgumentOutOfRangeException.ThrowIfLessThan(ReadinessProbeMaxDelay, ReadinessProbeFirstDelay);
        ArgumentOutOfRangeException.ThrowIfLessThan(ReadinessProbeConcurrency, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(PrepareConcurrency, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(StartsFirstLimit, TimeSpan.Zero);
    }
}
