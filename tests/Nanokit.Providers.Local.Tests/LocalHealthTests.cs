using System.Collections.Immutable;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Nanokit.Core.Model;
using Nanokit.Runtime;

namespace Nanokit.Providers.Local.Tests;

public sealed class LocalHealthTests
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(10);

    private static ServiceSpec Checked(string name, ImmutableArray<string> test, int retries = 2, TimeSpan? startPeriod = null) =>
        LocalFixture.Service(name, "sleep", "30") with
        {
            Healthcheck = new HealthcheckSpec(test, TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(2), retries, startPeriod ?? TimeSpan.Zero, false),
        };

    [Fact]
    public async Task A_service_without_healthcheck_has_no_health()
    {
        await using var f = new LocalFixture();
        await f.Runtime.CreateAsync(f.Replica(LocalFixture.Service("api", "sleep", "30")), default);
        Assert.Equal(HealthStatus.None, await f.Runtime.ProbeHealthAsync(f.Id("api"), default));
    }

    [Fact]
    public async Task Cmd_probe_is_starting_until_it_succeeds_then_healthy()
    {
        await using var f = new LocalFixture();
        var ready = f.PathOf("ready");
        await f.Runtime.CreateAsync(f.Replica(Checked("api", ["CMD", "test", "-f", ready], retries: 1000)), default);

        Assert.Equal(HealthStatus.Starting, await f.Runtime.ProbeHealthAsync(f.Id("api"), default));
        await File.WriteAllTextAsync(ready, "");
        Assert.Equal(HealthStatus.Healthy, await WaitAsync(f, "api"));
    }

    [Fact]
    public async Task Cmd_shell_probe_turns_unhealthy_after_retries_and_observe_shows_it()
    {
        await using var f = new LocalFixture();
        await f.Runtime.CreateAsync(f.Replica(Checked("api", ["CMD-SHELL", "exit 1"], retries: 3)), default);

        Assert.Equal(HealthStatus.Unhealthy, await WaitAsync(f, "api"));
        Assert.Equal(ReplicaState.Unhealthy, (await f.ObserveOneAsync("api")).State);
    }

    [Fact]
    public async Task Failures_during_the_start_period_do_not_count()
    {
        await using var f = new LocalFixture();
        var clock = Stopwatch.StartNew();
        await f.Runtime.CreateAsync(f.Replica(Checked("api", ["CMD-SHELL", "exit 1"], retries: 1, startPeriod: TimeSpan.FromSeconds(3))), default);

        Assert.Equal(HealthStatus.Starting, await f.Runtime.ProbeHealthAsync(f.Id("api"), default));
        Assert.Equal(HealthStatus.Unhealthy, await WaitAsync(f, "api"));
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(2900), $"unhealthy during the start period: {clock.Elapsed}");
    }

    [Fact]
    public async Task Http_probe_is_healthy_on_2xx_and_3xx_and_unhealthy_on_5xx()
    {
        await using var f = new LocalFixture();
        using var server = new TinyHttpServer();
        await f.Runtime.CreateAsync(f.Replica(Checked("ok", [$"{server.Url}ok"])), default);
        await f.Runtime.CreateAsync(f.Replica(Checked("moved", ["CMD-SHELL", $"{server.Url}moved"])), default);
        await f.Runtime.CreateAsync(f.Replica(Checked("broken", [$"{server.Url}broken"])), default);

        Assert.Equal(HealthStatus.Healthy, await WaitAsync(f, "ok"));
        Assert.Equal(HealthStatus.Healthy, await WaitAsync(f, "moved"));
        Assert.Equal(HealthStatus.Unhealthy, await WaitAsync(f, "broken"));
    }

    [Fact]
    public async Task Tcp_probe_is_healthy_when_a_connection_is_accepted()
    {
        await using var f = new LocalFixture();
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var open = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var closedSocket = new TcpListener(IPAddress.Loopback, 0);
        closedSocket.Start();
        var closed = ((IPEndPoint)closedSocket.LocalEndpoint).Port;
        closedSocket.Stop();

        await f.Runtime.CreateAsync(f.Replica(Checked("open", [$"tcp://127.0.0.1:{open}"])), default);
        await f.Runtime.CreateAsync(f.Replica(Checked("closed", [$"tcp://127.0.0.1:{closed}"])), default);

        Assert.Equal(HealthStatus.Healthy, await WaitAsync(f, "open"));
        Assert.Equal(HealthStatus.Unhealthy, await WaitAsync(f, "closed"));
    }

    [Fact]
    public async Task A_replica_that_is_not_running_is_unhealthy()
    {
        await using var f = new LocalFixture();
        var service = Checked("job", ["CMD", "true"]) with { Command = ["true"] };
        await f.Runtime.CreateAsync(f.Replica(service), default);
        await f.Runtime.WaitForCompletionAsync(f.Id("job"), default);
        Assert.Equal(HealthStatus.Unhealthy, await f.Runtime.ProbeHealthAsync(f.Id("job"), default));
    }

    [Fact]
    public async Task A_verdict_is_kept_for_a_later_runtime_but_not_for_the_next_incarnation()
    {
        await using var f = new LocalFixture();
        var spec = Checked("api", ["CMD-SHELL", "exit 1"], retries: 2);
        await f.Runtime.CreateAsync(f.Replica(spec), default);
        Assert.Equal(HealthStatus.Unhealthy, await WaitAsync(f, "api"));

        await using var later = new LocalRuntime();
        var kept = await later.LastHealthAsync(f.Id("api"), default);
        await f.Runtime.CreateAsync(f.Replica(spec, hash: "hash-2"), default);
        var afterRecreate = await later.LastHealthAsync(f.Id("api"), default);

        Assert.Equal(HealthStatus.Unhealthy, kept?.Status);
        Assert.Null(afterRecreate);
    }

    private static async Task<HealthStatus> WaitAsync(LocalFixture f, string service)
    {
        using var cts = new CancellationTokenSource(Within);
        return await f.Runtime.WaitForHealthAsync(f.Id(service), TimeSpan.FromMilliseconds(20), cts.Token);
    }

    /// <summary>Answers /ok with 200, /moved with 302 and anything else with 500.</summary>
    private sealed class TinyHttpServer : IDisposable
    {
        private readonly HttpListener _listener = new();

        public TinyHttpServer()
        {
            using var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            Url = $"http://127.0.0.1:{port}/";
            _listener.Prefixes.Add(Url);
            _listener.Start();
            _ = ServeAsync();
        }

        public string Url { get; }

        public void Dispose() => _listener.Close();

        private async Task ServeAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }

                context.Response.StatusCode = context.Request.Url!.AbsolutePath switch
                {
                    "/ok" => 200,
                    "/moved" => 302,
                    _ => 500,
                };
                if (context.Response.StatusCode == 302)
                {
                    context.Response.RedirectLocation = "/elsewhere";
                }

                context.Response.Close();
            }
        }
    }
}
