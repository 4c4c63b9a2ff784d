using System.Text.Json;
using Nanokit.Core.Config;
using Xunit;

namespace Nanokit.Core.Tests.Config;

public sealed class WriterTests
{
    private const string Yaml = """
        name: shop
        services:
          web:
            image: app:1
            command: run --port 80
            environment: {DB_PASSWORD: hunter2, MODE: prod, EMPTY: null}
            ports: ["127.0.0.1:8080:80"]
            depends_on:
              db: {condition: service_healthy}
            healthcheck: {test: [CMD, check], interval: 1m30s}
            deploy: {replicas: 2}
            hooks:
              prestart: ./migrate
          db:
            image: postgres:16
            command: [postgres]
        """;

    [Fact]
    public void Json_has_the_documented_shape_and_masks_secrets_by_default()
    {
        var json = ProjectWriter.ToJson(Load.Yaml(Yaml));
        var expected = """
            {"name":"shop","runtime":"docker","services":{"db":{"image":"postgres:16","command":["postgres"],"deploy":{"replicas":1}},
            "web":{"image":"app:1","command":["run","--port","80"],"environment":{"DB_PASSWORD":"********","EMPTY":null,"MODE":"prod"},
            "ports":[{"host_ip":"127.0.0.1","published":8080,"target":80,"protocol":"tcp"}],
            "depends_on":{"db":{"condition":"service_healthy","required":true}},
            "healthcheck":{"test":["CMD","check"],"interval":"1m30s","timeout":"30s","retries":3,"start_period":"0s"},
            "deploy":{"replicas":2},
            "hooks":{"prestart":{"command":["./migrate"],"run_on":"service","timeout":"1m0s"}}}}}
            """.Replace("\n", "");
        Assert.Equal(expected, JsonSerializer.Serialize(JsonDocument.Parse(json).RootElement));
    }

    [Fact]
    public void Json_shows_secrets_when_masking_is_off()
    {
        var json = ProjectWriter.ToJson(Load.Yaml(Yaml), maskSecrets: false);
        Assert.Contains("\"DB_PASSWORD\": \"hunter2\"", json);
    }

    [Fact]
    public void Yaml_output_loads_back_to_the_same_project()
    {
        var project = Load.Yaml(Yaml);
        var yaml = ProjectWriter.ToYaml(project, maskSecrets: false);
        var again = ProjectLoader.Parse([("config.yml", yaml)], Load.Options());
        Assert.Equal(ProjectWriter.ToJson(project, maskSecrets: false), ProjectWriter.ToJson(again, maskSecrets: false));
        Assert.Contains("    image: \"app:1\"\n", yaml);
        Assert.Contains("      DB_PASSWORD: hunter2\n", yaml);
        Assert.Contains("      DB_PASSWORD: \"********\"\n", ProjectWriter.ToYaml(project));
    }
}
