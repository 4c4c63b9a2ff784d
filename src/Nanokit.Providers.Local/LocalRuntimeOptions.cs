namespace Nanokit.Providers.Local;

/// <summary>Tunables of the local runtime; defaults suit a developer machine.</summary>
public sealed record LocalRuntimeOptions
{
    /// <summary>A log file larger than this is rotated, at replica start and whenever observation notices it.</summary>
    public long LogMaxBytes { get; init; } = 10 * 1024 * 1024;

    /// <summary>Rotated files kept (<c>.1</c> newest .. <c>.N</c> oldest).</summary>
    public int LogFilesKept { get; init; } = 3;

    /// <summary>How often <see cref="LocalRuntime.WatchAsync"/> re-reads /proc for changes.</summary>
    public TimeSpan WatchInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How often stop and completion waits poll /proc.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>After SIGKILL, how long to wait for the group to vanish before reporting failure.</summary>
    public TimeSpan KillTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Bytes of hook output kept in <see cref="Nanokit.Runtime.HookResult.OutputTail"/>.</summary>
    public int HookOutputTailChars { get; init; } = 4096;

    /// <summary>
    /// Active readiness: the pause after a waited-for replica's first readiness probe fails (the first runs at once); it
    /// doubles after each failure up to <see cref="ReadinessProbeMaxDelay"/>. Default 50 ms.
    /// </summary>
    public TimeSpan ReadinessProbeFirstDelay { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The longest pause between two readiness probes of one replica. Default 1 s.</summary>
    public TimeSpan ReadinessProbeMaxDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How many readiness probes may run at once across the runtime (each may start a process). Default 8.</summary>
    public int ReadinessProbeConcurrency { get; init; } = 8;

    internal void Validate()
    {
        if (LogMaxBytes <= 0 || LogFilesKept < 1 || WatchInterval <= TimeSpan.Zero || PollInterval <= TimeSpan.Zero
            || KillTimeout <= TimeSpan.Zero || HookOutputTailChars < 0
            || ReadinessProbeFirstDelay <= TimeSpan.Zero || ReadinessProbeMaxDelay < ReadinessProbeFirstDelay || ReadinessProbeConcurrency < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(LocalRuntimeOptions), this, "local runtime options must be positive");
        }
    }
}
