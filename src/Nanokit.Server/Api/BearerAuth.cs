using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Nanokit.Server.Api;

/// <summary>
/// Every API call carries <c>authorization: Bearer TOKEN</c>. No or an unknown token: UNAUTHENTICATED (the caller must
/// authenticate); a known token without the role the method needs: PERMISSION_DENIED (authenticating again will not
/// help). Mutating methods need write, and so do ExecService and RunService (they run commands in a workload); the rest read.
/// grpc.health.v1 is not behind it: orchestrators probe it.
/// </summary>
internal sealed class BearerAuth(TokenFile tokens) : Interceptor
{
    private static readonly HashSet<string> Mutating = new(StringComparer.Ordinal)
    {
        "/nanokit.v1.Projects/ApplyProject",
        "/nanokit.v1.Projects/DeleteProject",
        "/nanokit.v1.Projects/StopServices",
        "/nanokit.v1.Projects/StartServices",
        "/nanokit.v1.Projects/RestartServices",
        "/nanokit.v1.Projects/ExecService",
        "/nanokit.v1.Projects/RunService",
    };

    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Authorize(context);
        return continuation(request, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authorize(context);
        return continuation(request, responseStream, context);
    }

    // No client-streaming method exists yet; without this a future one would run with no token checked.
    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authorize(context);
        return continuation(requestStream, context);
    }

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Authorize(context);
        return continuation(requestStream, responseStream, context);
    }

    private void Authorize(ServerCallContext context)
    {
        var header = context.RequestHeaders.GetValue("authorization");
        if (header is null || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, "a bearer token is required (authorization: Bearer TOKEN)"));
        }

        var role = tokens.RoleOf(header["Bearer ".Length..].Trim())
            ?? throw new RpcException(new Status(StatusCode.Unauthenticated, "the bearer token is not known to this server"));
        var needed = Mutating.Contains(context.Method) ? Role.Write : Role.Read;
        if (role < needed)
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, $"{context.Method} needs the {needed.ToString().ToLowerInvariant()} role; this token has {role.ToString().ToLowerInvariant()}"));
        }
    }
}
