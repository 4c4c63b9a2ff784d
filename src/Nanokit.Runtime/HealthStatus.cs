namespace Nanokit.Runtime;

public enum HealthStatus
{
    /// <summary>The service has no healthcheck (or <c>NONE</c>/<c>disable: true</c>): only "started" can be waited for.</summary>
    None,

    /// <summary>No probe has succeeded yet.</summary>
    Starting,

    Healthy,

    /// <summary><c>retries</c> consecutive probes failed after the start period, or the replica is not running.</summary>
    Unhealthy,
}
