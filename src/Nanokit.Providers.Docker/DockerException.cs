namespace Nanokit.Providers.Docker;

/// <summary>
/// A Docker API call failed: <see cref="StatusCode"/> is the HTTP status (0 when the daemon could not be reached) and
/// the message is Docker's own. <see cref="DockerRuntime"/> turns it into a <c>RuntimeException</c> naming the replica.
/// </summary>
internal sealed class DockerException(int statusCode, string message, Exception? inner = null) : Exception(message, inner)
{
    public int StatusCode { get; } = statusCode;

    public bool Unreachable => StatusCode == 0;
}
