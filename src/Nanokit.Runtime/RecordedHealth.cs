namespace Nanokit.Runtime;

/// <summary>A health verdict (Healthy or Unhealthy) a runtime reached earlier, possibly in another process, and when it reached it.</summary>
public sealed record RecordedHealth(HealthStatus Status, DateTimeOffset At);
