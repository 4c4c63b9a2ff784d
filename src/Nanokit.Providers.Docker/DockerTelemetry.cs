using System.Diagnostics;

namespace Nanokit.Providers.Docker;

/// <summary>
/// The Docker provider's spans: <c>docker.start</c> (one start request, from the moment it is sent to the daemon's answer)
/// and <c>docker.probe</c> (one readiness probe by exec). They are on a source named as the reconciler's ("Nanokit"), so
/// whatever listens to the reconciler (<c>nkapp up --trace</c>, OTLP export) gets them too, under the span of the action
/// or wait that made the call.
/// </summary>
internal static class DockerTelemetry
{
    public const string SourceName = "Nanokit";

    public static readonly ActivitySource Source = new(SourceName);
}
