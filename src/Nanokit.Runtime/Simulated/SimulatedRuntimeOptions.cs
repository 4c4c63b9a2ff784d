using System.Collections.Immutable;

namespace Nanokit.Runtime.Simulated;

/// <summary>
/// How the simulated runtime behaves. Randomness (latency jitter, failures) comes from one Random seeded with
/// <see cref="Seed"/>, so a run is repeatable as far as the caller's own ordering is.
/// </summary>
public sealed record SimulatedRuntimeOptions
{
    /// <summary>Added to every mutating call and hook; zero means the call completes synchronously.</summary>
    public TimeSpan Latency { get; init; } = TimeSpan.Zero;

    /// <summary>Up to this much more latency, uniformly drawn per call.</summary>
    public TimeSpan LatencyJitter { get; init; } = TimeSpan.Zero;

    /// <summary>Probability (0..1) that a create, start, delete or hook call fails with a <see cref="RuntimeException"/>.</summary>
    public double FailureRate { get; init; }

    public int Seed { get; init; } = 42;

    /// <summary>How long after creation a replica with a healthcheck turns Healthy (Starting until then).</summary>
    public TimeSpan HealthDelay { get; init; } = TimeSpan.Zero;

    /// <summary>Deterministic per-service behaviour, by service name, for tests that need one service to misbehave.</summary>
    public ImmutableDictionary<string, SimulatedServiceBehavior> Services { get; init; } =
        ImmutableDictionary<string, SimulatedServiceBehavior>.Empty;

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    internal void Validate()
    {
        if (FailureRate is < 0 or > 1 || double.IsNaN(FailureRate))
        {
            throw new ArgumentOutOfRangeException(nameof(FailureRate), FailureRate, "must be between 0 and 1");
        }

        if (Latency < TimeSpan.Zero || LatencyJitter < TimeSpan.Zero || HealthDelay < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(Latency), "latency, jitter and health delay must not be negative");
        }
    }
}

/// <summary>
/// One service's scripted behaviour: always fail to create, never become healthy, or exit with
/// <see cref="ExitCode"/> after <see cref="ExitAfter"/> (a one-shot job for <c>service_completed_successfully</c>).
/// </summary>
public sealed record SimulatedServiceBehavior(
    bool FailCreate = false,
    bool NeverHealthy = false,
    TimeSpan? ExitAfter = null,
    int ExitCode = 0,
    bool FailHooks = false);
