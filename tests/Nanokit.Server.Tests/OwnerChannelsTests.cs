using System.Collections.Concurrent;
using Grpc.Net.Client;
using Nanokit.Server.Api;

namespace Nanokit.Server.Tests;

/// <summary>The owner router's channel cache: one channel per owner URL however many calls race for it, and none leaked.</summary>
public sealed class OwnerChannelsTests
{
    [Fact]
    public void Callers_racing_for_one_url_build_one_channel_and_disposing_the_cache_disposes_every_channel_built()
    {
        const int callers = 8;
        const string url = "http://127.0.0.1:1";
        var built = 0;
        var handlers = new ConcurrentBag<TrackedHandler>();
        var got = new ConcurrentBag<GrpcChannel>();
        using var anotherBuild = new ManualResetEventSlim();
        var channels = new OwnerChannels(u =>
        {
            if (Interlocked.Increment(ref built) > 1)
            {
                anotherBuild.Set();
            }

            // The first build stays open until a second caller builds too (or 2 s pass): a cache that lets racing
            // callers each run the factory shows it here every time, not only on an unlucky schedule.
            anotherBuild.Wait(TimeSpan.FromSeconds(2));
            var handler = new TrackedHandler();
            handlers.Add(handler);
            return GrpcChannel.ForAddress(u, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
        });
        using var start = new Barrier(callers);
        var threads = Enumerable.Range(0, callers).Select(_ => new Thread(() =>
        {
            start.SignalAndWait();
            got.Add(channels.For(url));
        })).ToList();

        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        channels.Dispose();

        Assert.Equal(1, built);
        Assert.Single(got.Distinct());
        Assert.All(handlers, h => Assert.True(h.Disposed));
    }

    private sealed class TrackedHandler() : DelegatingHandler(new SocketsHttpHandler())
    {
        public bool Disposed { get; private set; }

        protected override void Dispose(bool disposing)
        {
            Disposed = true;
            base.Dispose(disposing);
        }
    }
}
