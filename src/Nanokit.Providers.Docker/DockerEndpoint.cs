namespace Nanokit.Providers.Docker;

/// <summary>Where the Docker daemon listens: a unix socket path, or a TCP host and port (plain HTTP, as <c>tcp://</c> means in DOCKER_HOST).</summary>
public sealed record DockerEndpoint(string Address, string? SocketPath, Uri? TcpBase)
{
    public const string DefaultSocket = "/var/run/docker.sock";

    /// <summary>The endpoint from the DOCKER_HOST environment variable, or the default socket when it is unset.</summary>
    public static DockerEndpoint FromEnvironment() => Parse(Environment.GetEnvironmentVariable("DOCKER_HOST"));

    /// <summary>Parses a DOCKER_HOST value: <c>unix:///path</c>, <c>tcp://host:port</c>; null or empty means the default socket.</summary>
    public static DockerEndpoint Parse(string? dockerHost)
    {
        if (string.IsNullOrWhiteSpace(dockerHost))
        {
            return new DockerEndpoint("unix://" + DefaultSocket, DefaultSocket, null);
        }

        var value = dockerHost.Trim();
        if (value.StartsWith("unix://", StringComparison.Ordinal))
        {
            var path = value["unix://".Length..];
            if (path.Length == 0 || path[0] != '/')
            {
                throw new ArgumentException($"DOCKER_HOST '{value}': a unix socket needs an absolute path (unix:///var/run/docker.sock)", nameof(dockerHost));
            }

            return new DockerEndpoint(value, path, null);
        }

        if (value.StartsWith("tcp://", StringComparison.Ordinal)
            && Uri.TryCreate("http://" + value["tcp://".Length..], UriKind.Absolute, out var tcp) && tcp.Port > 0)
        {
            return new DockerEndpoint(value, null, new Uri($"http://{tcp.Host}:{tcp.Port}/"));
        }

        throw new ArgumentException($"DOCKER_HOST '{value}' is not supported: use unix:///path or tcp://host:port", nameof(dockerHost));
    }

    public override string ToString() => Address;
}
