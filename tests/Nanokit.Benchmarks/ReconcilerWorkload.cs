using System.Collections.Immutable;
using Nanokit.Core.Config;
using Nanokit.Core.Model;

namespace Nanokit.Benchmarks;

/// <summary>
/// The projects the reconciler's macro benchmarks apply. A scale project is a small web stack of ten services in
/// three layers: two of the three bottom services and one middle service carry a healthcheck that their dependents
/// wait for (<c>service_healthy</c>), so a run has two health-gated layers like a real deployment rather than ten
/// independent creates. The project name is part of an environment variable so every project hashes differently.
/// </summary>
internal static class ReconcilerWorkload
{
    public const int ServicesPerProject = 10;

    public static string ProjectName(int index) => $"p{index:D5}";

    public static ProjectSpec ScaleProject(string name, string directory) => Load(name, directory, $$$"""
        services:
          db:
            command: [db, --data, /var/lib/db]
            healthcheck: {test: [CMD, pg_isready], interval: 1s}
          cache:
            command: [cache]
            healthcheck: {test: [CMD, cache-ping], interval: 1s}
          queue:
            command: [queue]
          api:
            command: [api, --listen, ":8080"]
            environment: {PROJECT: {{{name}}}, LOG_LEVEL: info}
            healthcheck: {test: [CMD, curl, -f, "http://localhost:8080/health"], interval: 1s}
            depends_on: {db: {condition: service_healthy}, cache: {condition: service_healthy}}
          auth:
            command: [auth]
            depends_on: {db: {condition: service_healthy}}
          worker:
            command: [worker]
            depends_on: {queue: {condition: service_started}, db: {condition: service_healthy}}
          web:
            command: [web]
            depends_on: {api: {condition: service_healthy}}
          admin:
            command: [admin]
            depends_on: [api, auth]
          scheduler:
            command: [scheduler]
            depends_on: [worker]
          notifier:
            command: [notifier]
            depends_on: [worker, auth]
        """);

    /// <summary>The smallest project: one service, no healthcheck, so its first action follows the intent directly.</summary>
    public static ProjectSpec SingleService(string name, string directory) => Load(name, directory, """
        services:
          app:
            command: [app]
        """);

    /// <summary>
    /// A realistic shop of six services (eight replicas, published ports, a volume) whose every service carries
    /// <paramref name="release"/> in its environment: a new release changes, and so recreates, all of them.
    /// </summary>
    public static ProjectSpec Shop(string name, string directory, int release) => Load(name, directory, $$"""
        services:
          db:
            image: postgres:16
            command: [postgres, -c, max_connections=200]
            environment: {RELEASE: "{{release}}", POSTGRES_DB: shop, POSTGRES_USER: shop, PGDATA: /var/lib/postgresql/data/pgdata}
            ports: ["5432:5432"]
            volumes: ["dbdata:/var/lib/postgresql/data"]
            labels: {tier: data, team: platform}
          cache:
            image: redis:7
            command: [redis-server, --appendonly, "yes"]
            environment: {RELEASE: "{{release}}"}
            ports: ["6379:6379"]
            labels: {tier: data, team: platform}
          api:
            image: shop/api:1.4.2
            command: [api, serve, --port, "8080"]
            environment: {RELEASE: "{{release}}", DB_HOST: db, CACHE_HOST: cache, LOG_LEVEL: info, FEATURE_FLAGS: "checkout,wishlist"}
            ports: ["8080:8080"]
            deploy: {replicas: 2}
            depends_on: [db, cache]
            labels: {tier: backend, team: shop}
          worker:
            image: shop/worker:1.4.2
            command: [worker, --queue, orders]
            environment: {RELEASE: "{{release}}", DB_HOST: db, CACHE_HOST: cache, LOG_LEVEL: info}
            deploy: {replicas: 2}
            depends_on: [db, cache]
            labels: {tier: backend, team: shop}
          web:
            image: shop/web:2.0.1
            command: [nginx, -g, "daemon off;"]
            environment: {RELEASE: "{{release}}", API_URL: "http://api:8080", PUBLIC_URL: "https://shop.example.com"}
            ports: ["80:80", "443:443"]
            depends_on: [api]
            labels: {tier: frontend, team: shop}
          scheduler:
            image: shop/worker:1.4.2
            command: [scheduler, --interval, 60s]
            environment: {RELEASE: "{{release}}", DB_HOST: db, LOG_LEVEL: info}
            depends_on: [db]
            labels: {tier: backend, team: shop}
        volumes:
          dbdata: {}
        """);

    private static ProjectSpec Load(string name, string directory, string yaml) => ProjectLoader.Parse(
        [("nanokit.yml", yaml)],
        new ProjectLoadOptions([], directory, null, [], ImmutableDictionary<string, string>.Empty, name));
}
