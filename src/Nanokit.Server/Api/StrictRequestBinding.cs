using System.Reflection;
using Google.Protobuf;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;

namespace Nanokit.Server.Api;

/// <summary>
/// Binds every gRPC service the node maps, in place of Grpc.AspNetCore's own binder, so that a request body that is
/// not the method's protobuf message is INVALID_ARGUMENT naming the message and what is wrong. Grpc.AspNetCore reads
/// the request before any interceptor runs, and reports a parser's exception as UNKNOWN "Exception was thrown by
/// handler" (logging it as a server error): a client's mistake would read as the server's. Design note: the services'
/// generated <c>BindService</c> is called as Grpc.AspNetCore calls it (found through <see cref="BindServiceMethodAttribute"/>,
/// with no service instance), and each method it reports is added again with its request marshaller wrapped; the
/// handler is the service's public method of the same name, called on the instance Grpc.AspNetCore activates per call.
/// </summary>
internal sealed class StrictRequestBinding<TService> : IServiceMethodProvider<TService>
    where TService : class
{
    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<TService> context)
    {
        var attribute = BindAttribute(typeof(TService))
            ?? throw new InvalidOperationException($"{typeof(TService)} is not a generated gRPC service (no BindServiceMethod attribute)");
        var bind = attribute.BindType.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
            .Single(m => m.Name == attribute.BindMethodName && m.GetParameters() is [{ ParameterType: var b }, _] && b == typeof(ServiceBinderBase));
        bind.Invoke(null, [new Binder(context), null]);
    }

    private static BindServiceMethodAttribute? BindAttribute(Type? type)
    {
        for (; type is not null; type = type.BaseType)
        {
            if (type.GetCustomAttribute<BindServiceMethodAttribute>(inherit: false) is { } attribute)
            {
                return attribute;
            }
        }

        return null;
    }

    private sealed class Binder(ServiceMethodProviderContext<TService> context) : ServiceBinderBase
    {
        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse>? handler) =>
            context.AddUnaryMethod(Strict(method), Metadata(method), Handler<UnaryServerMethod<TService, TRequest, TResponse>>(method));

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse>? handler) =>
            context.AddServerStreamingMethod(Strict(method), Metadata(method), Handler<ServerStreamingServerMethod<TService, TRequest, TResponse>>(method));

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse>? handler) =>
            context.AddClientStreamingMethod(Strict(method), Metadata(method), Handler<ClientStreamingServerMethod<TService, TRequest, TResponse>>(method));

        public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse>? handler) =>
            context.AddDuplexStreamingMethod(Strict(method), Metadata(method), Handler<DuplexStreamingServerMethod<TService, TRequest, TResponse>>(method));

        private static Method<TRequest, TResponse> Strict<TRequest, TResponse>(Method<TRequest, TResponse> method)
            where TRequest : class
            where TResponse : class
        {
            var inner = method.RequestMarshaller;
            var strict = Marshallers.Create<TRequest>(
                inner.ContextualSerializer,
                deserializationContext =>
                {
                    try
                    {
                        return inner.ContextualDeserializer(deserializationContext);
                    }
                    catch (InvalidProtocolBufferException e)
                    {
                        throw new RpcException(new Status(StatusCode.InvalidArgument, $"the request is not a valid {method.ServiceName}.{method.Name} request message: {e.Message}"));
                    }
                });
            return new Method<TRequest, TResponse>(method.Type, method.ServiceName, method.Name, strict, method.ResponseMarshaller);
        }

        /// <summary>The attributes of the service and its method, as Grpc.AspNetCore gives endpoints (authorization, CORS).</summary>
        private static List<object> Metadata(IMethod method) =>
            [.. typeof(TService).GetCustomAttributes(inherit: true), .. Implementation(method).GetCustomAttributes(inherit: true)];

        private static TDelegate Handler<TDelegate>(IMethod method)
            where TDelegate : Delegate => Implementation(method).CreateDelegate<TDelegate>();

        private static MethodInfo Implementation(IMethod method) =>
            typeof(TService).GetMethods(BindingFlags.Public | BindingFlags.Instance).Single(m => m.Name == method.Name && m.GetBaseDefinition().DeclaringType != typeof(object));
    }
}
