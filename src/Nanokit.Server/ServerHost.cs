using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Cluster.Sharding;
using Akka.Configuration;
using Akka.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Grpc.AspNetCore.Server.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Nanokit.Persistence.Journal.PostgreSql;
using Nanokit.Reconciler;
using Nanokit.Reconciler.Hosting;
using Nanokit.Server.Api;
using Nanokit.Server.Cluster;
using Nanokit.Server.Events;
using Nanokit.Server.Hub;
using Nanokit.Server.Intents;
using Nanokit.Server.Management;
using Nanokit.Server.Runtime;
using Npgsql;
using OpenTelemetry.Metrics;

namespace Nanokit.Server;

/// <summary>
/// <c>nkapp server</c>: one ASP.NET Core host with the API (gRPC + management HTTP on one listener) and an Akka.NET
/// cluster node (Akka.Hosting) whose shard region hosts the project entities — the same <see cref="ProjectActor"/>
/// under the same supervisor and envelope as the embedded CLI — journaled in PostgreSQL. SIGTERM (or the token)
/// stops the host: Akka.Hosting runs coordinated shutdown, so the node leaves the cluster and hands its shards off
/// before the process exits 0.
/// </summary>
public static class ServerHost
{
    /// <summary>A gRPC message's frame header on the wire: a compressed flag and a 4-byte length.</summary>
    private const int GrpcFrameHeaderBytes = 5;

    public static async Task RunAsync(ServerOptions options, CancellationToken cancellationToken)
    {
        var config = ServerSettings.Merge(options);
        var settings = ServerSettings.From(options, config);
        var tokens = TokenFile.Load(settings.TokenFile);
        var hub = HubSettings.From(options, config);
        var app = Build(settings, config, tokens, hub);
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ServerHost));
        if (!await InitializeStoreAsync(app.Services.GetRequiredService<IntentStore>(), settings, logger, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        await app.Services.GetRequiredService<NodeDirectory>().RegisterAsync(
            Akka.Cluster.Cluster.Get(app.Services.GetRequiredService<ActorSystem>()).SelfAddress.ToString(), ApiUrl(settings), cancellationToken).ConfigureAwait(false);
        logger.Started(
            settings.Name, $"{settings.Listen.Host}:{settings.Listen.Port}", $"{settings.Cluster.Host}:{settings.Cluster.Port}",
            string.Join(",", settings.Seeds.Select(s => $"{s.Host}:{s.Port}")));
        var started = StartEnvironment();
        logger.RuntimeSettings(
            started.GetValueOrDefault("DOTNET_TieredCompilation", "default"),
            AppContext.GetData("System.Runtime.TieredPGO")?.ToString() ?? "default",
            AppContext.GetData("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit")?.ToString() ?? "default",
            started.GetValueOrDefault("DOTNET_GCgen0size", "default"),
            System.Runtime.GCSettings.IsServerGC, System.Runtime.GCSettings.LatencyMode.ToString());
        foreach (var url in HubUrls(settings, hub))
        {
            logger.Serving(url);
        }

        await app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The environment the process was started with, which is what the runtime read its DOTNET_* settings from
    /// (nkapp server removes the ones it set itself once started, so the current environment no longer shows them).
    /// </summary>
    private static Dictionary<string, string> StartEnvironment()
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!File.Exists("/proc/self/environ"))
        {
            return variables;
        }

        foreach (var entry in File.ReadAllText("/proc/self/environ").Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            if (entry.IndexOf('=') is > 0 and var at)
            {
                variables[entry[..at]] = entry[(at + 1)..];
            }
        }

        return variables;
    }

    /// <summary>
    /// Creates the store's tables; while PostgreSQL cannot be reached (a node started before its database, or during
    /// a restart of it) tries again after <c>reconnect-delay</c>, doubling up to <c>store-retry-max</c>, one log line per
    /// attempt. False when the node was stopped (SIGTERM) before the store answered.
    /// </summary>
    private static async Task<bool> InitializeStoreAsync(IntentStore store, ServerSettings settings, ILogger logger, CancellationToken cancellationToken)
    {
        var delay = settings.ReconnectDelay;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await store.InitializeAsync(cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (Exception) when (cancellationToken.IsCancellationRequested)
            {
                return false;
            }
            catch (Exception e) when (e is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
            {
                logger.StoreUnreachable(attempt, e.Message, delay);
            }

            try
            {
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return false;
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, settings.StoreRetryMax.Ticks));
        }
    }

    private static WebApplication Build(ServerSettings settings, Config config, TokenFile tokens, HubSettings hub)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Host.ConfigureHostOptions(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));
        builder.WebHost.ConfigureKestrel(kestrel => Listen(kestrel, settings, hub));
        var dataSource = NpgsqlDataSource.Create(PostgreSqlPool.Tuned(settings.Store));
        var store = new IntentStore(dataSource, settings.Channel, settings.Events.Channel, settings.MaxIntentBatch);
        var self = $"akka.tcp://nanokit@{settings.Cluster.Host}:{settings.Cluster.Port}";
        var observed = new ObservedStore(dataSource, self, config.GetTimeSpan("nanokit.server.observed-write-delay"));
        var events = new EventLog(dataSource, settings.Events.Channel, settings.Events.Keep, observed);
        var senders = new IntentSenders(self);
        var runtimes = new ProjectRuntimes(store, observed, settings.SimulatedRuntime);
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(tokens);
        builder.Services.AddSingleton(dataSource);
        builder.Services.AddSingleton(store);
        builder.Services.AddSingleton(runtimes);
        builder.Services.AddSingleton(events);
        builder.Services.AddSingleton(observed);
        builder.Services.AddSingleton(senders);
        builder.Services.AddSingleton(new NodeDirectory(dataSource));
        builder.Services.AddSingleton<OwnerRouter>();
        builder.Services.AddSingleton<LogRouter>();
        builder.Services.AddSingleton<ExecRouter>();
        builder.Services.AddHostedService(_ => observed);
        builder.Services.AddSingleton<EventFeed>();
        builder.Services.AddHostedService(services => services.GetRequiredService<EventFeed>());
        builder.Services.AddSingleton<BearerAuth>();
        builder.Services.AddGrpc(grpc => grpc.MaxReceiveMessageSize = settings.MaxRequestBytes)
            .AddServiceOptions<ProjectsService>(o => o.Interceptors.Add<BearerAuth>())
            .AddServiceOptions<ClusterService>(o => o.Interceptors.Add<BearerAuth>())
            // The same methods as JSON over HTTP (the routes in nanokit.proto), which the Hub calls.
            .AddJsonTranscoding();
        // A body that is not the method's message is INVALID_ARGUMENT, not UNKNOWN: see StrictRequestBinding. It
        // replaces Grpc.AspNetCore's own binder only (JSON transcoding's provider stays), after the last AddGrpc: each
        // call adds that binder again.
        foreach (var binder in builder.Services.Where(d => d.ServiceType == typeof(IServiceMethodProvider<>) && d.ImplementationType?.Name == "BinderServiceMethodProvider`1").ToList())
        {
            builder.Services.Remove(binder);
        }

        builder.Services.AddSingleton(typeof(IServiceMethodProvider<>), typeof(StrictRequestBinding<>));
        builder.Services.AddGrpcHealthChecks();
        builder.Services.AddHealthChecks();
        builder.Services.AddHostedService<IntentDispatcher>();
        // /metrics: the reconciler's counters and histograms (runs, actions, failures, drift) in Prometheus text, and
        // the runtime's own (System.Runtime: GC collections per generation, allocated bytes, thread-pool threads, JIT),
        // which show whether the process runs with the settings nkapp ships (ServerProcess, Nanokit.Cli.csproj).
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddMeter(ReconcilerTelemetry.SourceName, "System.Runtime").AddPrometheusExporter());
        builder.Services.AddAkka("nanokit", (akka, services) => Node(akka, services, settings, config, store, events, runtimes));

        var app = builder.Build();
        app.MapGrpcService<ProjectsService>();
        app.MapGrpcService<ClusterService>();
        app.MapGrpcHealthChecksService();
        ManagementEndpoints.Map(app);
        HubEndpoints.Map(app);
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }

    private static void Node(AkkaConfigurationBuilder akka, IServiceProvider services, ServerSettings settings, Config config, IntentStore store, EventLog events, ProjectRuntimes runtimes)
    {
        var node = NodeHocon(settings).WithFallback(config).WithFallback(NodeConfig.For(new StateStore.PostgreSql(settings.Store)));
        akka.AddHocon(node, HoconAddMode.Prepend);
        // Akka's log events go through the host's logger: one format on the console, the host's filters apply.
        akka.ConfigureLoggers(loggers =>
        {
            loggers.LogLevel = Akka.Event.Logging.LogLevelFor(node.GetString("akka.loglevel"));
            loggers.ClearLoggers();
            loggers.AddLoggerFactory();
        });
        var restart = ProjectRegion.BackoffSettings.From(node.GetConfig("nanokit.node.project-restart"));
        // A server node is long-lived: it heals drift and retries failed runs, as `nkapp up --watch` does.
        var reconciler = ReconcilerSettings.Default with { DriftTimer = true, RetryFailedRuns = true };
        akka.WithShardRegion<ProjectShards>(
            ProjectShards.TypeName,
            id =>
            {
                var directory = Directory.CreateDirectory(Path.Combine(settings.ProjectsDirectory, id)).FullName;
                return ProjectRegion.Supervised(ProjectActor.Props(id, directory, runtimes, reconciler), restart);
            },
            new ProjectMessageExtractor(node.GetInt("akka.cluster.sharding.number-of-shards")),
            new ShardOptions
            {
                // Set explicitly, not inherited: the coordinator's state in replicated memory (the durable LightningDB
                // store is broken here), the ids of started projects in the journal, so a failover restarts every one.
                StateStoreMode = StateStoreMode.DData,
                RememberEntities = true,
                RememberEntitiesStore = RememberEntitiesStore.Eventsourced,
            });
        akka.AddStartup((system, _) => PersistenceWarmup.Start(system, services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(PersistenceWarmup))));
        akka.AddStartup((system, _) => ResolverTicks.Start(system, settings.ResolverTick, services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ResolverTicks))));
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger<StatusWriter>();
        akka.WithActors((system, _) => system.ActorOf(
            StatusWriter.Props(events, Akka.Cluster.Cluster.Get(system).SelfAddress.ToString(), settings.Events.MaxBuffered, settings.ReconnectDelay, logger),
            "status-writer"));
        akka.WithActors((system, _) => system.ActorOf(RestartCountRecorder.Props(services.GetRequiredService<ObservedStore>()), "restart-counts"));
        var deliveryLogger = services.GetRequiredService<ILoggerFactory>().CreateLogger<IntentDelivery>();
        akka.WithActors((system, registry) => registry.Register<IntentDelivery>(system.ActorOf(
            IntentDelivery.Props(registry.Get<ProjectShards>(), settings.Delivery, services.GetRequiredService<IntentSenders>(), deliveryLogger), "intent-delivery")));
        akka.WithActorSystemLivenessCheck(tags: [ManagementEndpoints.AliveTag]);
        akka.WithAkkaClusterReadinessCheck(tags: [ManagementEndpoints.ReadyTag]);
        akka.WithHealthCheck(
            "store",
            async (_, _, cancellationToken) =>
            {
                try
                {
                    await store.PingAsync(cancellationToken).ConfigureAwait(false);
                    return HealthCheckResult.Healthy("the store answers");
                }
                catch (NpgsqlException e)
                {
                    return HealthCheckResult.Unhealthy($"the store cannot be reached: {e.Message}");
                }
            },
            tags: [ManagementEndpoints.ReadyTag]);
    }

    /// <summary>The keys the flags set: this node's remoting address and the seeds it joins.</summary>
    private static Config NodeHocon(ServerSettings settings)
    {
        var seeds = settings.Seeds.Select(s => JsonSerializer.Serialize($"akka.tcp://nanokit@{s.Host}:{s.Port}"));
        return ConfigurationFactory.ParseString(
            $"""
            akka.remote.dot-netty.tcp.hostname = {JsonSerializer.Serialize(settings.Cluster.Host)}
            akka.remote.dot-netty.tcp.port = {settings.Cluster.Port}
            akka.cluster.seed-nodes = [{string.Join(", ", seeds)}]
            """);
    }

    /// <summary>The URL other nodes reach this node's API at: --listen, with a wildcard host replaced by the cluster host.</summary>
    private static string ApiUrl(ServerSettings settings) => Url(settings, settings.Listen);

    /// <summary>Where a browser finds the Hub: --listen when it speaks TLS (and so HTTP/1.1), and --hub-listen.</summary>
    private static IEnumerable<string> HubUrls(ServerSettings settings, HubSettings hub)
    {
        if (settings.TlsCertificate is not null)
        {
            yield return Url(settings, settings.Listen) + "/hub/";
        }

        if (hub.Listen is { } listen)
        {
            yield return Url(settings, listen) + "/hub/";
        }
    }

    private static string Url(ServerSettings settings, DnsEndPoint endpoint)
    {
        var host = endpoint.Host is "*" or "0.0.0.0" or "" ? settings.Cluster.Host : endpoint.Host;
        return $"{(settings.TlsCertificate is null ? "http" : "https")}://{(host.Contains(':') ? $"[{host}]" : host)}:{endpoint.Port}";
    }

    private static void Listen(KestrelServerOptions kestrel, ServerSettings settings, HubSettings hub)
    {
        // The limit is the message's; the body also carries gRPC's 5-byte frame header. Were both the same number, a
        // message within the limit would be cut off by Kestrel (UNKNOWN) instead of accepted.
        kestrel.Limits.MaxRequestBodySize = settings.MaxRequestBytes + GrpcFrameHeaderBytes;
        void Configure(ListenOptions listen)
        {
            if (settings.TlsCertificate is { } cert)
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(X509Certificate2.CreateFromPemFile(cert, settings.TlsKey));
            }
            else
            {
                // Cleartext cannot negotiate: HTTP/2 with prior knowledge, which gRPC clients speak.
                listen.Protocols = HttpProtocols.Http2;
            }
        }

        Bind(kestrel, settings.Listen, Configure);
        if (hub.Listen is { } browsers)
        {
            // The same routes for browsers, which speak HTTP/1.1 (and HTTP/2 only through TLS's ALPN).
            Bind(kestrel, browsers, listen =>
            {
                listen.Protocols = settings.TlsCertificate is null ? HttpProtocols.Http1 : HttpProtocols.Http1AndHttp2;
                if (settings.TlsCertificate is { } cert)
                {
                    listen.UseHttps(X509Certificate2.CreateFromPemFile(cert, settings.TlsKey));
                }
            });
        }
    }

    private static void Bind(KestrelServerOptions kestrel, DnsEndPoint endpoint, Action<ListenOptions> configure)
    {
        var host = endpoint.Host;
        if (host is "localhost")
        {
            kestrel.ListenLocalhost(endpoint.Port, configure);
        }
        else if (host is "*" or "0.0.0.0" or "")
        {
            kestrel.ListenAnyIP(endpoint.Port, configure);
        }
        else
        {
            var address = IPAddress.TryParse(host, out var ip) ? ip : Dns.GetHostAddresses(host)[0];
            kestrel.Listen(address, endpoint.Port, configure);
        }
    }
}
