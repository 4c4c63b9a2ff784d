using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Nanokit.Core.Config;
using Nanokit.Core.Graph;
using Nanokit.Core.Model;
using Nanokit.Core.Plan;
using Nanokit.Runtime;

namespace Nanokit.Providers.Docker.Tests;

/// <summary>
/// The Compose corpus (tests/Nanokit.Core.Tests/Corpus, checked there against docker-compose config) brought up on the
/// private dockerd, each file unchanged, where its images can honestly exist here: built from its own busybox-based build
/// contexts, or busybox imported under the file's image name where the file's command then means what it says.
/// Every other file is listed in <see cref="CannotRunHere"/> with the reason, and the list is checked against the corpus.
/// Each file comes up as the reconciler brings a project up: layer by layer, each replica created, then waited for as its
/// dependents ask (healthy, completed successfully, started).
/// </summary>
public sealed class CorpusUpTests
{
    /// <summary>Case → what busybox is tagged as for it (none: the file builds all it runs).</summary>
    private static readonly Dictionary<string, string[]> Runnable = new()
    {
        ["busybox-build"] = [],
        ["dotenv"] = ["app:1.2.3"],
    };

    /// <summary>Case → why it cannot come up here: its images' own programs are not in busybox, and no registry has them.</summary>
    private static readonly Dictionary<string, string> CannotRunHere = new()
    {
        ["airflow-lite"] = "airflow and pg_isready (apache/airflow, postgres)",
        ["caddy-static"] = "caddy's own entrypoint (caddy)",
        ["clickhouse-analytics"] = "clickhouse-server and plausible's /entrypoint.sh",
        ["django-postgres-redis"] = "gunicorn, celery, pg_isready, redis-server",
        ["elk-logging"] = "elasticsearch, logstash, kibana and curl",
        ["extends-common"] = "app and redis-server, redis-cli",
        ["forms"] = "curl, postgres and pg_isready (only its init, busybox true, could run)",
        ["gitea"] = "gitea and postgres entrypoints",
        ["haproxy-backends"] = "haproxy and http-echo",
        ["homeassistant-host"] = "home-assistant and mosquitto; network_mode: host",
        ["include-domains"] = "nginx, the billing app, postgres, prometheus",
        ["interpolation"] = "its command 'run' (a placeholder program)",
        ["interpolation-alternative"] = "its command 'run' (a placeholder program)",
        ["jupyter-gpu-less"] = "the jupyter server",
        ["kafka-zookeeper"] = "zookeeper, kafka and kafka-ui (JVM images)",
        ["keycloak-postgres"] = "keycloak and pg_isready",
        ["loki-promtail"] = "loki, promtail, grafana",
        ["mailhog-dev"] = "npm and mailhog",
        ["merge"] = "'run', postgres, redis-server, curl",
        ["minio-s3"] = "minio and mc",
        ["mongo-express"] = "mongod and mongo-express",
        ["nats-cluster"] = "nats-server's entrypoint",
        ["nextcloud-mariadb"] = "mariadbd, redis-server, apache with php",
        ["nginx-php-fpm"] = "nginx and php-fpm",
        ["pihole-dns"] = "pihole's FTL and lighttpd",
        ["postgres-secrets"] = "postgres, pg_isready and the api",
        ["prometheus-grafana"] = "prometheus, node_exporter, grafana",
        ["rabbitmq-workers"] = "rabbitmq-server, rabbitmq-diagnostics and the workers",
        ["traefik-proxy"] = "traefik and whoami",
        ["vaultwarden-backup"] = "vaultwarden and its backup tool",
        ["wordpress-mysql"] = "mysqld, mysqladmin, apache with php",
    };

    [Fact]
    public void Every_corpus_file_either_comes_up_here_or_says_why_not()
    {
        var cases = Directory.GetDirectories(CorpusDirectory()).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(cases, Runnable.Keys.Concat(CannotRunHere.Keys).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_file_with_busybox_build_contexts_comes_up_built_health_gated_and_its_one_shot_completes()
    {
        await using var p = await DockerProject.StartAsync();
        var project = await UpAsync(p, "busybox-build");
        try
        {
            var seed = await p.Runtime.WaitForCompletionAsync(p.Id("seed"), DockerProject.Timeout(60));
            var observed = await p.Runtime.ObserveAsync(p.Project, DockerProject.Timeout());

            Assert.Equal(0, seed);
            Assert.Equal("hello from the build\n", await DockerProject.DockerCliAsync("logs", $"{p.Project.Name}-seed-1"));
            Assert.Equal(ReplicaState.Running, observed.Replicas.Single(r => r.Service == "web").State);
            Assert.Equal(HealthStatus.Healthy, await p.Runtime.ProbeHealthAsync(p.Id("web"), DockerProject.Timeout()));
            Assert.Equal("nanokit-corpus/web:1", (await DockerProject.DockerCliAsync("inspect", "-f", "{{.Config.Image}}", $"{p.Project.Name}-web-1")).Trim());
        }
        finally
        {
            foreach (var image in project.Services.Values.Select(s => s.Image!).Distinct())
            {
                await DockerProject.TryDockerCliAsync("rmi", "-f", image);
            }
        }
    }

    [Fact]
    public async Task A_dotenv_file_comes_up_with_its_image_name_on_busybox_and_prints_what_its_variables_say()
    {
        await using var p = await DockerProject.StartAsync();
        foreach (var tag in Runnable["dotenv"])
        {
            await DockerProject.DockerCliAsync("tag", DockerProject.Image1, tag);
        }

        try
        {
            await UpAsync(p, "dotenv");
            var exit = await p.Runtime.WaitForCompletionAsync(p.Id("web"), DockerProject.Timeout(60));
            var env = await DockerProject.DockerCliAsync("inspect", "-f", "{{range .Config.Env}}{{println .}}{{end}}", $"{p.Project.Name}-web-1");

            Assert.Equal(0, exit);
            Assert.Equal("hello world\n", await DockerProject.DockerCliAsync("logs", $"{p.Project.Name}-web-1"));
            Assert.Contains("SHELL_WINS=from-shell\n", env);
            Assert.Contains("DOUBLE_COMMENT=keep # this\n", env);
        }
        finally
        {
            foreach (var tag in Runnable["dotenv"])
            {
                await DockerProject.TryDockerCliAsync("rmi", tag);
            }
        }
    }

    // As a run brings a project up: each layer's replicas created together, then each waited for as a dependent needs it.
    private static async Task<ProjectSpec> UpAsync(DockerProject p, string caseName)
    {
        var dir = Path.Combine(CorpusDirectory(), caseName);
        var project = ProjectLoader.Load(new ProjectLoadOptions(["compose.yml"], dir, null, [], ShellEnv(dir)));
        Assert.Equal(RuntimeKind.Docker, project.Runtime);
        var graph = GraphEngine.Build(project);
        var conditions = project.Services.Values.SelectMany(s => s.DependsOn.Values)
            .GroupBy(d => d.Service).ToDictionary(g => g.Key, g => g.Max(d => d.Condition));
        foreach (var layer in graph.Layers)
        {
            var replicas = layer.SelectMany(name => Enumerable.Range(1, project.Services[name].Replicas)
                .Select(n => p.Replica(project.Services[name], n, ConfigHash.Compute(project.Services[name])))).ToList();
            await Task.WhenAll(replicas.Select(r => p.Runtime.CreateAsync(r, DockerProject.Timeout(180))));
            foreach (var replica in replicas)
            {
                switch (conditions.GetValueOrDefault(replica.Service.Name))
                {
                    case DependencyCondition.ServiceHealthy:
                        Assert.Equal(HealthStatus.Healthy, await p.Runtime.WaitForHealthAsync(replica.Id, DockerProject.Timeout(60)));
                        break;
                    case DependencyCondition.ServiceCompletedSuccessfully:
                        Assert.Equal(0, await p.Runtime.WaitForCompletionAsync(replica.Id, DockerProject.Timeout(60)));
                        break;
                }
            }
        }

        return project;
    }

    private static ImmutableDictionary<string, string> ShellEnv(string dir) =>
        File.Exists(Path.Combine(dir, "shell.env"))
            ? File.ReadAllLines(Path.Combine(dir, "shell.env")).Where(l => l.Contains('=')).ToImmutableDictionary(l => l[..l.IndexOf('=')], l => l[(l.IndexOf('=') + 1)..])
            : ImmutableDictionary<string, string>.Empty;

    private static string CorpusDirectory([CallerFilePath] string source = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(source)!, "..", "Nanokit.Core.Tests", "Corpus"));
}
