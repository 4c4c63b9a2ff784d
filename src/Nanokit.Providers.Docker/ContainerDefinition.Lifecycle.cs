using Docker.DotNet.Models;
using Nanokit.Core.Model;

namespace Nanokit.Providers.Docker;

internal static partial class ContainerDefinition
{
    /// <summary>
    /// The exec of a Compose <c>post_start</c>/<c>pre_stop</c> hook. An exec inherits the container's environment, so only the
    /// hook's own variables are sent (resolved as the service's are); unset user and directory keep the container's.
    /// </summary>
    public static ContainerExecCreateParameters ForLifecycleHook(ServiceSpec service, LifecycleHook hook) => new()
    {
        Cmd = [.. hook.Command],
        User = hook.User ?? "",
        Privileged = hook.Privileged,
        WorkingDir = hook.WorkingDir ?? "",
        Env = [.. Environment(service with { Environment = hook.Environment })],
        AttachStdout = true,
        AttachStderr = true,
    };
}
