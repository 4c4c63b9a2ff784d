using Nanokit.Core.Config;
using Xunit;

namespace Nanokit.Core.Tests.Config;

/// <summary>Service-level <c>extends</c>: each merge rule of the Compose specification, and each error, located.</summary>
public sealed class ExtendsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nanokit-extends-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Extends_copies_what_the_service_does_not_set_and_keeps_what_it_does()
    {
        var cli = Load.Service("""
            services:
              common:
                image: busybox:1
                user: root
                working_dir: /base
              cli:
                extends:
                  service: common
                working_dir: /cli
            """, "cli");
        Assert.Equal("busybox:1", cli.Image);
        Assert.Equal("root", cli.Container.User);
        Assert.Equal("/cli", cli.WorkingDir);
    }

    [Fact]
    public void Extends_merges_environment_by_key_whether_written_as_a_list_or_a_mapping()
    {
        var cli = Load.Service("""
            services:
              common:
                image: busybox:1
                environment: ["TZ=utc", "PORT=80"]
              cli:
                extends: {service: common}
                environment:
                  PORT: "8080"
            """, "cli");
        Assert.Equal(new Dictionary<string, string?> { ["PORT"] = "8080", ["TZ"] = "utc" }, cli.Environment);
    }

    [Fact]
    public void Extends_merges_labels_by_key()
    {
        var cli = Load.Service("""
            services:
              common: {image: busybox:1, labels: {tier: web, owner: base}}
              cli: {extends: {service: common}, labels: ["owner=cli"]}
            """, "cli");
        Assert.Equal(new Dictionary<string, string> { ["owner"] = "cli", ["tier"] = "web" }, cli.Labels);
    }

    [Fact]
    public void Extends_replaces_command_and_entrypoint_whole()
    {
        var cli = Load.Service("""
            services:
              common: {image: busybox:1, command: [run, --base, -v], entrypoint: [/init, -x]}
              cli: {extends: {service: common}, command: serve, entrypoint: /bin/sh}
            """, "cli");
        Assert.Equal(["serve"], cli.Command!.Value.ToArray());
        Assert.Equal(["/bin/sh"], cli.Entrypoint!.Value.ToArray());
    }

    [Fact]
    public void Extends_appends_sequences_with_the_extended_items_first()
    {
        var cli = Load.Service("""
            services:
              common: {image: busybox:1, dns: [1.1.1.1], expose: ["80"]}
              cli: {extends: {service: common}, dns: [8.8.8.8], expose: ["81"]}
            """, "cli");
        Assert.Equal(["1.1.1.1", "8.8.8.8"], cli.Container.Dns.ToArray());
        Assert.Equal(["80/tcp", "81/tcp"], cli.Container.Expose.ToArray());
    }

    [Fact]
    public void Extends_keeps_one_port_per_unique_key()
    {
        // The base lives in another file: two services of one project cannot publish the same host port.
        File.WriteAllText(Path.Combine(_dir, "base.yml"), "services:\n  common: {image: busybox:1, ports: [\"8080:80\", \"9090:90\"]}\n");
        File.WriteAllText(Path.Combine(_dir, "compose.yml"), """
            services:
              cli: {extends: {file: base.yml, service: common}, ports: ["8080:80", "7070:70"]}
            """);
        var cli = LoadDir().Services["cli"];
        Assert.Equal(["8080:80/tcp", "9090:90/tcp", "7070:70/tcp"], cli.Ports.Select(p => $"{p.HostPort}:{p.ContainerPort}/{p.Protocol}"));
    }

    [Fact]
    public void Extends_treats_volumes_as_a_mapping_keyed_by_target()
    {
        var cli = Load.Service("""
            services:
              common: {image: busybox:1, volumes: ["common-volume:/var/lib/backup/data:rw", "logs:/logs"]}
              cli: {extends: {service: common}, volumes: ["cli-volume:/var/lib/backup/data:ro"]}
            volumes: {common-volume: {}, cli-volume: {}, logs: {}}
            """, "cli");
        var data = Assert.Single(cli.Volumes, v => v.Target == "/var/lib/backup/data");
        Assert.Equal("cli-volume", data.Source);
        Assert.True(data.ReadOnly);
        Assert.Equal(2, cli.Volumes.Length);
    }

    [Fact]
    public void Extends_merges_the_healthcheck_mapping_and_replaces_its_test()
    {
        var cli = Load.Service("""
            services:
              common:
                image: busybox:1
                healthcheck: {test: [CMD, base], retries: 7}
              cli:
                extends: {service: common}
                healthcheck: {test: [CMD, cli]}
            """, "cli");
        Assert.Equal(["CMD", "cli"], cli.Healthcheck!.Test.ToArray());
        Assert.Equal(7, cli.Healthcheck.Retries);
    }

    [Fact]
    public void Extends_follows_a_chain_until_no_extends_remains()
    {
        var cli = Load.Service("""
            services:
              base: {image: busybox:1, user: root}
              common: {extends: {service: base}, hostname: common}
              cli: {extends: common}
            """, "cli");
        Assert.Equal("root", cli.Container.User);
        Assert.Equal("common", cli.Container.Hostname);
    }

    [Fact]
    public void Extends_short_string_form_names_a_service_of_the_same_file()
    {
        var cli = Load.Service("""
            services:
              common: {image: busybox:1}
              cli: {extends: common}
            """, "cli");
        Assert.Equal("busybox:1", cli.Image);
    }

    [Fact]
    public void Extends_keeps_the_dependencies_of_the_extended_service_merged_by_name()
    {
        // compose v1 refuses to extend a service with depends_on; the spec only leaves declaring the target to the author.
        var cli = Load.Service("""
            services:
              db: {image: postgres:16}
              cache: {image: redis:7}
              common: {image: busybox:1, depends_on: [db]}
              cli: {extends: common, depends_on: {cache: {condition: service_started}}}
            """, "cli");
        Assert.Equal(["cache", "db"], cli.DependsOn.Keys);
    }

    [Fact]
    public void The_extended_service_itself_is_unchanged()
    {
        var project = Load.Yaml("""
            services:
              common: {image: busybox:1, environment: {A: "1"}}
              cli: {extends: common, environment: {B: "2"}}
            """);
        Assert.Equal(["A"], project.Services["common"].Environment.Keys);
    }

    [Fact]
    public void Config_shows_the_merged_service_without_extends()
    {
        var yaml = ProjectWriter.ToYaml(Load.Yaml("""
            services:
              common: {image: busybox:1, user: root}
              cli: {extends: common, hostname: cli}
            """));
        Assert.DoesNotContain("extends", yaml, StringComparison.Ordinal);
        Assert.Equal(2, yaml.Split("user: root").Length - 1);
    }

    [Fact]
    public void Extends_from_another_file_resolves_its_relative_paths_against_that_file()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "common"));
        File.WriteAllText(Path.Combine(_dir, "common", "base.yml"), """
            services:
              webapp:
                image: busybox:1
                volumes: ["./data:/data", "named:/named"]
            """);
        File.WriteAllText(Path.Combine(_dir, "compose.yml"), """
            services:
              web:
                extends: {file: common/base.yml, service: webapp}
                volumes: ["./logs:/logs"]
            volumes: {named: {}}
            """);
        var web = LoadDir().Services["web"];
        Assert.Equal(Path.Combine(_dir, "common", "data"), Assert.Single(web.Volumes, v => v.Target == "/data").Source);
        Assert.Equal(Path.Combine(_dir, "logs"), Assert.Single(web.Volumes, v => v.Target == "/logs").Source);
        Assert.Equal("named", Assert.Single(web.Volumes, v => v.Target == "/named").Source);
    }

    [Fact]
    public void Extends_in_another_file_resolves_its_own_extends_there()
    {
        File.WriteAllText(Path.Combine(_dir, "base.yml"), """
            services:
              root: {image: busybox:1, user: nobody}
              webapp: {extends: root, hostname: app}
            """);
        File.WriteAllText(Path.Combine(_dir, "compose.yml"), """
            services:
              web: {extends: {file: base.yml, service: webapp}}
            """);
        var web = LoadDir().Services["web"];
        Assert.Equal(("busybox:1", "nobody", "app"), (web.Image, web.Container.User, web.Container.Hostname));
    }

    [Fact]
    public void A_cycle_is_an_error_that_prints_its_path()
    {
        var errors = Load.Errors("""
            services:
              a: {image: busybox:1, extends: b}
              b: {extends: {service: a}}
            """);
        Assert.Contains(errors, e => e.StartsWith("nanokit.yml:", StringComparison.Ordinal) && e.Contains("cycle: a -> b -> a", StringComparison.Ordinal));
    }

    [Fact]
    public void A_service_extending_itself_is_a_cycle()
    {
        var errors = Load.Errors("""
            services:
              a: {image: busybox:1, extends: a}
            """);
        Assert.Contains("nanokit.yml:2:34: service \"a\": extends: cycle: a -> a", errors);
    }

    [Fact]
    public void A_missing_service_is_a_located_error_with_a_suggestion()
    {
        var errors = Load.Errors("""
            services:
              common: {image: busybox:1}
              cli: {extends: {service: comon}}
            """);
        Assert.Contains("nanokit.yml:3:28: service \"cli\": extends: no service \"comon\"; did you mean \"common\"?", errors);
    }

    [Fact]
    public void A_missing_file_is_a_located_error()
    {
        File.WriteAllText(Path.Combine(_dir, "compose.yml"), """
            services:
              web: {image: busybox:1, extends: {file: nowhere.yml, service: x}}
            """);
        var error = Assert.Single(Load.ErrorsOf(LoadDir));
        Assert.StartsWith("compose.yml:2:43: service \"web\": extends.file \"nowhere.yml\": file not found (resolved to ", error);
    }

    [Fact]
    public void A_missing_service_in_another_file_names_the_file()
    {
        File.WriteAllText(Path.Combine(_dir, "base.yml"), "services:\n  webapp: {image: busybox:1}\n");
        File.WriteAllText(Path.Combine(_dir, "compose.yml"), "services:\n  web: {extends: {file: base.yml, service: db}}\n");
        Assert.Contains("compose.yml:2:44: service \"web\": extends: no service \"db\" in base.yml", Load.ErrorsOf(LoadDir));
    }

    [Fact]
    public void An_extended_file_larger_than_the_limit_is_refused_like_the_main_file()
    {
        File.WriteAllText(Path.Combine(_dir, "base.yml"), "services:\n  webapp: {image: busybox:1}\n" + new string('#', 200));
        File.WriteAllText(Path.Combine(_dir, "compose.yml"), "services:\n  web: {extends: {file: base.yml, service: webapp}}\n");
        var limits = LoadLimits.Default with { FileBytes = 100 };
        var errors = Load.ErrorsOf(() => ProjectLoader.Load(new ProjectLoadOptions(["compose.yml"], _dir, null, [], new Dictionary<string, string>()) { Limits = limits }));
        Assert.Contains(errors, e => e.Contains("extends.file \"base.yml\": the file is larger than 100 bytes", StringComparison.Ordinal));
    }

    [Fact]
    public void A_chain_longer_than_the_limit_is_refused()
    {
        var yaml = "services:\n  s0: {image: busybox:1}\n" + string.Concat(Enumerable.Range(1, 70).Select(i => $"  s{i}: {{extends: s{i - 1}}}\n"));
        Assert.Contains(Load.Errors(yaml), e => e.Contains("extends: the chain is longer than 64 services", StringComparison.Ordinal));
    }

    [Fact]
    public void Disabling_a_healthcheck_the_extended_service_defines_is_an_error_as_the_spec_says()
    {
        var errors = Load.Errors("""
            services:
              common: {image: busybox:1, healthcheck: {test: [CMD, ok]}}
              cli: {extends: common, healthcheck: {disable: true}}
            """);
        Assert.Contains(errors, e => e.StartsWith("nanokit.yml:3:49: service \"cli\": healthcheck.disable: true cannot override", StringComparison.Ordinal));
    }

    [Fact]
    public void Extends_without_a_service_is_a_located_error()
    {
        var errors = Load.Errors("""
            services:
              cli: {image: busybox:1, extends: {file: x.yml}}
            """);
        Assert.Contains(errors, e => e.StartsWith("nanokit.yml:2:36: service \"cli\": extends: service is required", StringComparison.Ordinal));
    }

    private Nanokit.Core.Model.ProjectSpec LoadDir() =>
        ProjectLoader.Load(new ProjectLoadOptions(["compose.yml"], _dir, null, [], new Dictionary<string, string>()));
}
