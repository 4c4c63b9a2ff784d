namespace Nanokit.Runtime;

/// <summary>
/// A provider operation failed. The message always names the project, service and replica, then the cause,
/// so it can be shown to the user as is ("local runtime: shop/api-1: command 'srv' not found in PATH").
/// </summary>
public sealed class RuntimeException : Exception
{
    public RuntimeException(string provider, string project, string service, int? replica, string cause, Exception? inner = null)
        : base(Format(provider, project, service, replica, cause, inner), inner)
    {
        Provider = provider;
        Project = project;
        Service = service;
        Replica = replica;
    }

    public RuntimeException(string provider, ReplicaId replica, string cause, Exception? inner = null)
        : this(provider, replica.Project.Name, replica.Service, replica.Replica, cause, inner)
    {
    }

    public string Provider { get; }

    public string Project { get; }

    public string Service { get; }

    /// <summary>Null when the failure concerns the service as a whole (a hook).</summary>
    public int? Replica { get; }

    /// <summary>
    /// The platform itself could not be reached (a daemon restarting, an API server away): the same call is expected to
    /// succeed once it is back, so callers retry it for longer than a failure the platform reported.
    /// </summary>
    public bool Transient { get; init; }

    /// <summary>
    /// A start found no replica to start (Kubernetes deletes a stopped pod): the reconciler creates it from the desired
    /// spec instead, as it creates any missing replica, rather than retrying a start that cannot succeed.
    /// </summary>
    public bool Missing { get; init; }

    /// <summary>A blank cause (a platform that answered an error without a message) still says that much, never nothing.</summary>
    private static string Format(string provider, string project, string service, int? replica, string cause, Exception? inner)
    {
        var why = !string.IsNullOrWhiteSpace(cause) ? cause
            : inner is null ? "failed, and the runtime gave no reason"
            : $"{inner.GetType().Name}, and the runtime gave no message";
        return replica is null
            ? $"{provider} runtime: {project}/{service}: {why}"
            : $"{provider} runtime: {project}/{service}-{replica}: {why}";
    }
}
