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

    private static ProjectSpec Load(string name, string directory, string yaml) => ProjectLoader.Parse(
        [("nanokit.yml", yaml)],
        new ProjectLoadOptions([], directory, null, [], ImmutableDictionary<string, string>.Empty, name));
}
