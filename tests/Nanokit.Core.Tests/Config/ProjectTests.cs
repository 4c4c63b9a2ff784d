using Nanokit.Core.Config;
using Nanokit.Core.Model;
using Xunit;

namespace Nanokit.Core.Tests.Config;

public sealed class ProjectTests
{
    private const string OneService = "services:\n  web:\n    command: run\n";

    private const string WithEnvironments = """
        name: shop
        runtime: local
        drift: {interval: 1m, heal: false}
        services:
          web:
            command: run
            working_dir: /srv/app-dev
            deploy: {replicas: 1}
        environments:
          prod:
            runtime: docker
            services:
              web:
                image: app:${PROD_TAG:?set PROD_TAG}
                deploy: {replicas: 3}
          staging:
            services:
              web:
                working_dir: /srv/app-${STAGING_TAG:?needed only for staging}
        """;

    [Fact]
    public void Environment_overlay_is_deep_merged_when_selected()
    {
        var project = Load.Yaml(WithEnvironments, env: Load.Env(("PROD_TAG", "1.2")), environment: "prod");
        Assert.Equal(RuntimeKind.Docker, project.Runtime);
        Assert.Equal("app:1.2", project.Services["web"].Image);
        Assert.Equal(3, project.Services["web"].Replicas);
        Assert.Equal(["run"], project.Services["web"].Command!.Value.ToArray());
        Assert.Equal(new DriftSettings(TimeSpan.FromMinutes(1), false), project.Drift);
    }

    [Fact]
    public void Environment_overlays_that_are_not_selected_are_not_interpolated()
    {
        var project = Load.Yaml(WithEnvironments);
        Assert.Equal("/srv/app-dev", project.Services["web"].WorkingDir);
    }

    [Fact]
    public void Unknown_environment_lists_the_known_ones()
    {
        Assert.Equal(["nanokit.yml:9:1: unknown environment \"qa\"; known environments: prod, staging"], Load.Errors(WithEnvironments, environment: "qa"));
    }

    [Fact]
    public void Profiles_enable_services_as_compose_does()
    {
        const string yaml = "services:\n  web: {command: x}\n  debug: {command: x, profiles: [dev]}\n  tools: {command: x, profiles: [dev, ops]}\n";
        Assert.Equal(["web"], Load.Yaml(yaml).Services.Keys.ToArray());
        Assert.Equal(["debug", "tools", "web"], Load.Yaml(yaml, profiles: ["dev"]).Services.Keys.ToArray());
        Assert.Equal(["tools", "web"], Load.Yaml(yaml, profiles: ["ops"]).Services.Keys.ToArray());
        Assert.Equal(["tools", "web"], Load.Yaml(yaml, env: Load.Env(("COMPOSE_PROFILES", "ops"))).Services.Keys.ToArray());
        Assert.Equal(["debug", "tools", "web"], Load.Yaml(yaml, profiles: ["*"]).Services.Keys.ToArray());
    }

    [Fact]
    public void Depending_on_a_service_disabled_by_profiles_is_an_error()
    {
        Assert.Equal(["nanokit.yml:2:34: service \"web\" depends on service \"db\", which is disabled; enable one of its profiles (dev) or set required: false"],
            Load.Errors("services:\n  web: {command: x, depends_on: [db]}\n  db: {command: x, profiles: [dev]}\n"));
    }

    [Fact]
    public void Project_name_comes_from_name_or_the_normalised_directory()
    {
        Assert.Equal("shop", Load.Yaml(WithEnvironments).Name);
        Assert.Equal("proj", Load.Yaml(OneService).Name);
        var odd = ProjectLoader.Parse([("/tmp/My Project.v2/nanokit.yml", OneService)], Load.Options());
        Assert.Equal("myprojectv2", odd.Name);
        Assert.Equal("/tmp/My Project.v2", odd.WorkingDirectory);
        Assert.Equal("cli", ProjectLoader.Parse([("nanokit.yml", "name: shop\n" + OneService)], Load.Options(projectName: "cli")).Name);
        Assert.Equal(["nanokit.yml:1:7: invalid project name: use lowercase letters, digits, '_' and '-', starting with a letter or digit"],
            Load.Errors("name: Shop!\n" + OneService));
    }

    [Fact]
    public void Default_discovery_prefers_nanokit_yml_and_adds_its_override()
    {
        var dir = Directory.CreateTempSubdirectory("nk-discovery-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "compose.yaml"), "services:\n  other: {command: x}\n");
            File.WriteAllText(Path.Combine(dir, "nanokit.yml"), "services:\n  web: {command: x, image: base}\n");
            File.WriteAllText(Path.Combine(dir, "nanokit.override.yml"), "services:\n  web: {image: over}\n");
            File.WriteAllText(Path.Combine(dir, ".env"), "TAG=from-dotenv\n");
            var project = ProjectLoader.Load(Load.Options() with { WorkingDirectory = dir });
            Assert.Equal(["web"], project.Services.Keys.ToArray());
            Assert.Equal("over", project.Services["web"].Image);

            File.Delete(Path.Combine(dir, "nanokit.yml"));
            Assert.Equal(["other"], ProjectLoader.Load(Load.Options() with { WorkingDirectory = dir }).Services.Keys.ToArray());

            File.Delete(Path.Combine(dir, "compose.yaml"));
            var errors = Load.ErrorsOf(() => ProjectLoader.Load(Load.Options() with { WorkingDirectory = dir }));
            Assert.StartsWith($"{dir}:0:0: no configuration file found; looked for nanokit.yml, nanokit.yaml, compose.yaml", errors[0]);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Explicit_files_load_in_order_and_missing_ones_are_reported()
    {
        var dir = Directory.CreateTempSubdirectory("nk-files-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "a.yml"), "services:\n  web: {command: x, image: a}\n");
            File.WriteAllText(Path.Combine(dir, "b.yml"), "services:\n  web: {image: b}\n");
            var options = Load.Options() with { WorkingDirectory = dir, Files = ["a.yml", "b.yml"] };
            Assert.Equal("b", ProjectLoader.Load(options).Services["web"].Image);
            Assert.Equal([$"c.yml:0:0: file not found (resolved to {dir}/c.yml)"], Load.ErrorsOf(() => ProjectLoader.Load(options with { Files = ["a.yml", "c.yml"] })));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
