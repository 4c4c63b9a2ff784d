using System.Collections.Immutable;
using System.Text;
using Nanokit.Core.Model;
using Nanokit.Core.Plan;

namespace Nanokit.Benchmarks;

/// <summary>
/// Generates realistic large projects for the planning benchmarks: ten layers of equal size, each service
/// depending on one to three services of the layer below, with an image, a command, a few environment
/// variables (one secret), a label, a unique host port on every fourth service, healthchecks, and one to three replicas.
/// A fixed seed makes every run plan the same project.
/// </summary>
internal static class CoreProjectGenerator
{
    public const int Layers = 10;

    public static string Yaml(int services)
    {
        var random = new Random(42);
        var perLayer = Math.Max(1, services / Layers);
        var yaml = new StringBuilder(services * 400);
        yaml.Append("name: bench\nservices:\n");
        for (var i = 0; i < services; i++)
        {
            var layer = Math.Min(i / perLayer, Layers - 1);
            yaml.Append("  ").Append(Name(i)).Append(":\n")
                .Append("    image: registry.example/app-").Append(i % 50).Append(":1.").Append(i % 7).Append('\n')
                .Append("    command: [\"serve\", \"--port\", \"8080\", \"--shard\", \"").Append(i).Append("\"]\n")
                .Append("    environment:\n")
                .Append("      LOG_LEVEL: info\n")
                .Append("      SERVICE_INDEX: \"").Append(i).Append("\"\n")
                .Append("      DB_PASSWORD: pw-").Append(i).Append('\n')
                .Append("    labels:\n      team: team-").Append(i % 12).Append('\n');
            if (i % 4 == 0)
            {
                yaml.Append("    ports:\n      - \"").Append(10000 + (i / 4)).Append(":8080\"\n");
            }

            if (i % 3 == 0)
            {
                yaml.Append("    healthcheck:\n      test: [\"CMD\", \"curl\", \"-f\", \"http://localhost:8080/health\"]\n      interval: 5s\n      retries: 3\n");
            }

            if (i % 5 == 0)
            {
                yaml.Append("    deploy:\n      replicas: ").Append(1 + (i % 3)).Append('\n');
            }

            if (layer > 0)
            {
                yaml.Append("    depends_on:\n");
                var first = (layer - 1) * perLayer;
                var count = 1 + random.Next(3);
                var picked = new SortedSet<int>();
                while (picked.Count < Math.Min(count, perLayer))
                {
                    picked.Add(first + random.Next(perLayer));
                }

                foreach (var dependency in picked)
                {
                    yaml.Append("      - ").Append(Name(dependency)).Append('\n');
                }
            }
        }

        return yaml.ToString();
    }

    /// <summary>
    /// What a runtime would report after deploying <paramref name="project"/> some time ago: every replica
    /// running from its current definition, except about 5 % deployed from an older image, 1 % exited, and
    /// one orphan per 1,000 services.
    /// </summary>
    public static ObservedState Drifted(ProjectSpec project)
    {
        var replicas = ImmutableArray.CreateBuilder<ObservedReplica>();
        var i = 0;
        foreach (var service in project.Services.Values)
        {
            var stale = i % 20 == 7;
            var applied = stale ? service with { Image = service.Image + "-old" } : service;
            var hash = ConfigHash.Compute(applied);
            for (var r = 1; r <= service.Replicas; r++)
            {
                var exited = i % 100 == 3;
                replicas.Add(new ObservedReplica(
                    service.Name,
                    r,
                    hash,
                    exited ? ReplicaState.Exited : ReplicaState.Running,
                    exited ? 137 : null,
                    $"{service.Name}-{r}",
                    1,
                    applied));
            }

            if (i % 1000 == 0)
            {
                replicas.Add(new ObservedReplica($"retired-{i}", 1, "0", ReplicaState.Running, Id: $"retired-{i}-1"));
            }

            i++;
        }

        return new ObservedState(replicas.ToImmutable());
    }

    private static string Name(int i) => $"svc-{i:D6}";
}
