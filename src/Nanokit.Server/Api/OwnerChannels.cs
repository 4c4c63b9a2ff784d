using System.Collections.Concurrent;
using Grpc.Net.Client;

namespace Nanokit.Server.Api;

/// <summary>
/// One gRPC channel per owner API URL, for as long as the node runs. <c>GetOrAdd</c> with a factory may run the
/// factory on every caller racing for a new URL and keep one result, leaking the other channels (each holds a
/// connection pool); a <see cref="Lazy{T}"/> per URL (ExecutionAndPublication) builds exactly one, and only the
/// published Lazy is ever evaluated. Disposing disposes every channel built.
/// </summary>
internal sealed class OwnerChannels(Func<string, GrpcChannel> create) : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<GrpcChannel>> channels = new(StringComparer.Ordinal);

    public GrpcChannel For(string url) =>
        channels.GetOrAdd(url, u => new Lazy<GrpcChannel>(() => create(u), LazyThreadSafetyMode.ExecutionAndPublication)).Value;

    public void Dispose()
    {
        foreach (var channel in channels.Values.Where(c => c.IsValueCreated))
        {
            channel.Value.Dispose();
        }
    }
}
