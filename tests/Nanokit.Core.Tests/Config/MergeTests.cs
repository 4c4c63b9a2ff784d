using FsCheck;
using FsCheck.Fluent;
using Nanokit.Core.Model;
using Xunit;

namespace Nanokit.Core.Tests.Config;

public sealed class MergeTests
{
    private const string Base = """
        services:
          web:
            image: app:1
            command: ["run", "--base"]
            entrypoint: /init
            environment:
              - A=base
              - B=base
            labels:
              tier: web
            ports: ["8080:80", "9090:90"]
            volumes: ["/data", "./logs:/logs"]
            depends_on: [db]
            healthcheck:
              test: ["CMD", "base"]
              retries: 5
            profiles: [a]
          db:
            image: db:1
        """;

    private const string Override = """
        services:
          web:
            image: app:2
            command: serve
            environment:
              B: override
              C: new
            labels: ["owner=me"]
            ports: ["8080:80", "7070:70"]
            volumes: ["/srv/other:/data:ro"]
            depends_on:
              db:
                condition: service_healthy
              cache:
                condition: service_started
                required: false
            healthcheck:
              test: curl x
            profiles: [b]
          cache:
            image: cache:1
            profiles: [never]
        """;

    private static ServiceSpec Web() =>
        Nanokit.Core.Config.ProjectLoader.Parse([("base.yml", Base), ("override.yml", Override)], Load.Options(profiles: ["a"])).Services["web"];

    [Fact]
    public void Merge_replaces_scalars_and_shell_commands()
    {
        var web = Web();
        Assert.Equal("app:2", web.Image);
        Assert.Equal(["serve"], web.Command!.Value.ToArray());
        Assert.Equal(["/init"], web.Entrypoint!.Value.ToArray());
        Assert.Equal(["CMD-SHELL", "curl x"], web.Healthcheck!.Test.ToArray());
        Assert.Equal(5, web.Healthcheck.Retries);
    }

    [Fact]
    public void Merge_combines_environment_and_labels_by_key_across_list_and_map_forms()
    {
        var web = Web();
        Assert.Equal(new Dictionary<string, string?> { ["A"] = "base", ["B"] = "override", ["C"] = "new" }, web.Environment);
        Assert.Equal(new Dictionary<string, string> { ["owner"] = "me", ["tier"] = "web" }, web.Labels);
    }

    [Fact]
    public void Merge_appends_ports_without_duplicates_and_replaces_volumes_by_target()
    {
        var web = Web();
        Assert.Equal([new PortMapping(null, 8080, 80, "tcp"), new PortMapping(null, 9090, 90, "tcp"), new PortMapping(null, 7070, 70, "tcp")], web.Ports.ToArray());
        Assert.Equal([new VolumeMount("bind", "/srv/other", "/data", true), new VolumeMount("bind", "/work/proj/logs", "/logs", false)], web.Volumes.ToArray());
    }

    [Fact]
    public void Merge_combines_depends_on_short_and_long_forms_and_drops_optional_edges_to_disabled_services()
    {
        var web = Web();
        Assert.Equal(["db"], web.DependsOn.Keys.ToArray());
        Assert.Equal(DependencyCondition.ServiceHealthy, web.DependsOn["db"].Condition);
        Assert.Equal(["a", "b"], web.Profiles.ToArray());
    }

    [Fact]
    public void Merge_keeps_locations_from_the_file_that_defined_each_value()
    {
        var errors = Load.ErrorsOf(() => Nanokit.Core.Config.ProjectLoader.Parse(
            [("base.yml", "services:\n  web:\n    image: app:1\n"), ("over.yml", "services:\n  web:\n    ports: [\"x\"]\n")], Load.Options()));
        Assert.Equal(["over.yml:3:13: invalid port \"x\": container port \"x\" is not a port number (1-65535) or range"], errors);
    }

    [Fact]
    public void Merge_is_associative_for_generated_overlays()
    {
        // FsCheck: for any three small overlays, (a+b)+c and a+(b+c) resolve to the same project (Compose merge is a fold).
        var gen =
            from image in Gen.Elements("a", "b", "c")
            from port in Gen.Choose(1, 4)
            from key in Gen.Elements("K1", "K2")
            from value in Gen.Elements("x", "y")
            select $"services:\n  web:\n    image: {image}\n    command: [run, {image}]\n    ports: [\"{8000 + port}:80\"]\n    environment: [\"{key}={value}\"]\n    labels: {{{key}: {value}}}\n";
        Prop.ForAll(
            Gen.ArrayOf(gen, 3).ToArbitrary(),
            docs =>
            {
                var (a, b, c) = (docs[0], docs[1], docs[2]);
                var flat = Nanokit.Core.Config.ProjectLoader.Parse([("a", a), ("b", b), ("c", c)], Load.Options());
                var text = Nanokit.Core.Config.ProjectWriter.ToJson(flat);
                var ab = Nanokit.Core.Config.ProjectWriter.ToYaml(Nanokit.Core.Config.ProjectLoader.Parse([("a", a), ("b", b)], Load.Options()));
                var nested = Nanokit.Core.Config.ProjectLoader.Parse([("ab", ab), ("c", c)], Load.Options());
                return Nanokit.Core.Config.ProjectWriter.ToJson(nested) == text;
            }).QuickCheckThrowOnFailure();
    }
}
