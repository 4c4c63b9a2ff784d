using Nanokit.Core.Config;
using Nanokit.Core.Model;
using Nanokit.Core.Plan;
using Xunit;

namespace Nanokit.Core.Tests.Config;

/// <summary>Compose networks, secrets and configs: the top-level sections and a service's references to them.</summary>
public sealed class ComposeResourcesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nanokit-resources-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private ProjectSpec LoadHere(string yaml, IReadOnlyDictionary<string, string>? env = null) =>
        ProjectLoader.Parse([(Path.Combine(_dir, "compose.yml"), yaml)], Load.Options(env) with { WorkingDirectory = _dir });

    private string[] ErrorsHere(string yaml) => Load.ErrorsOf(() => LoadHere(yaml));

    [Fact]
    public void Service_networks_read_the_list_and_the_mapping_with_aliases_and_addresses()
    {
        var project = Load.Yaml("""
            services:
              web:
                image: app:1
                networks: [front, back]
              db:
                image: postgres:16
                networks:
                  back:
                    aliases: [database, pg]
                    ipv4_address: 172.28.0.10
                    priority: 100
            networks:
              front: {}
              back:
                driver: bridge
                driver_opts: {com.docker.network.bridge.name: br-back}
                internal: true
                attachable: true
                labels: [tier=data]
            """);
        Assert.Equal(["back", "front"], project.Services["web"].Networks.Keys.ToArray());
        var back = project.Services["db"].Networks["back"];
        Assert.Equal(["database", "pg"], back.Aliases.ToArray());
        Assert.Equal(("172.28.0.10", 100), (back.Ipv4Address, back.Priority));
        var declared = project.Networks["back"];
        Assert.Equal(("bridge", true, true, "data"), (declared.Driver, declared.Internal, declared.Attachable, declared.Labels["tier"]));
        Assert.Equal("br-back", declared.DriverOpts["com.docker.network.bridge.name"]);
        Assert.Null(declared.Name);
    }

    [Fact]
    public void An_external_network_is_named_by_its_key_or_name_and_takes_no_create_options()
    {
        var project = Load.Yaml("services:\n  web:\n    image: app:1\n    networks: [proxy, legacy]\nnetworks:\n  proxy: {external: true}\n  legacy: {external: {name: old-net}}\n");
        Assert.Equal((true, "proxy"), (project.Networks["proxy"].External, project.Networks["proxy"].Name));
        Assert.Equal("old-net", project.Networks["legacy"].Name);
        Assert.Equal(
            ["nanokit.yml:6:22: network \"proxy\" is external: \"driver\" cannot be set on a network nanokit does not create"],
            Load.Errors("services:\n  web:\n    image: app:1\nnetworks:\n  proxy:\n    {external: true, driver: bridge}\n"));
    }

    [Fact]
    public void Undeclared_networks_and_network_mode_with_networks_are_located_errors()
    {
        Assert.Equal(
            [
                "nanokit.yml:4:16: service \"web\" uses network \"fronted\", which is not declared in the top-level networks section",
                "nanokit.yml:7:5: service \"job\": networks and network_mode cannot both be set",
            ],
            Load.Errors("services:\n  web:\n    image: app:1\n    networks: [fronted, default]\n  job:\n    image: app:1\n    networks: [default]\n    network_mode: host\n"));
    }

    [Fact]
    public void Secrets_and_configs_read_short_and_long_syntax_with_compose_default_targets()
    {
        File.WriteAllText(Path.Combine(_dir, "db_password.txt"), "hunter2");
        File.WriteAllText(Path.Combine(_dir, "token.txt"), "t0k");
        File.WriteAllText(Path.Combine(_dir, "nginx.conf"), "events {}");
        // Kubernetes mounts files and inline content with a mode; the Docker runtime's limits are checked below.
        var project = LoadHere("""
            runtime: kubernetes
            services:
              web:
                image: nginx:1.27
                secrets:
                  - db_password
                  - {source: api_token, target: token, mode: 0400}
                configs:
                  - nginx
                  - {source: banner, target: /etc/motd, mode: 0444}
            secrets:
              db_password: {file: ./db_password.txt}
              api_token: {file: token.txt}
            configs:
              nginx: {file: nginx.conf}
              banner: {content: hello}
            """);
        var web = project.Services["web"];
        Assert.Equal(
            [new FileGrant("db_password", "/run/secrets/db_password", null, null, null), new FileGrant("api_token", "/run/secrets/token", null, null, 256)],
            web.Secrets.Select(g => g with { Definition = null }).ToArray());
        Assert.Equal([new FileGrant("nginx", "/nginx", null, null, null), new FileGrant("banner", "/etc/motd", null, null, 292)], web.Configs.Select(g => g with { Definition = null }).ToArray());
        Assert.Equal(project.Secrets["db_password"], web.Secrets[0].Definition);
        Assert.Equal(Path.Combine(_dir, "db_password.txt"), project.Secrets["db_password"].File);
        Assert.Equal("hello", project.Configs["banner"].Content);
    }

    [Fact]
    public void Kubernetes_refuses_secrets_from_the_environment_or_external_and_owners_naming_the_runtime()
    {
        File.WriteAllText(Path.Combine(_dir, "pw"), "x");
        Assert.Equal(
            [
                $"{_dir}/compose.yml:5:15: secret \"token\" of service \"web\": runtime kubernetes mounts secrets from a file and cannot honour one from an environment variable (the value would have to be stored to reach the pod)",
                $"{_dir}/compose.yml:5:22: secret \"swarm\" of service \"web\": runtime kubernetes mounts secrets from a file and cannot honour an external one (a swarm feature)",
                $"{_dir}/compose.yml:5:38: secret \"pw\" of service \"web\": runtime kubernetes mounts it with a mode but cannot set its uid or gid; remove them",
            ],
            Load.ErrorsOf(() => LoadHere(
                "runtime: kubernetes\nservices:\n  web:\n    image: app:1\n    secrets: [token, swarm, {source: pw, uid: '101', gid: '101'}]\nsecrets:\n  token: {environment: TOKEN}\n  swarm: {external: true}\n  pw: {file: pw}\n",
                Load.Env(("TOKEN", "t")))));
    }

    [Fact]
    public void A_changed_secret_file_or_config_content_changes_the_config_hash()
    {
        var path = Path.Combine(_dir, "pw");
        const string Yaml = "runtime: kubernetes\nservices:\n  web:\n    image: app:1\n    secrets: [pw]\n    configs: [motd]\nsecrets:\n  pw: {file: pw}\nconfigs:\n  motd: {content: CONTENT}\n";
        File.WriteAllText(path, "first");
        var before = LoadHere(Yaml.Replace("CONTENT", "hi", StringComparison.Ordinal)).Services["web"];
        File.WriteAllText(path, "second");
        var secretChanged = LoadHere(Yaml.Replace("CONTENT", "hi", StringComparison.Ordinal)).Services["web"];
        var configChanged = LoadHere(Yaml.Replace("CONTENT", "hello", StringComparison.Ordinal)).Services["web"];
        Assert.NotEqual(ConfigHash.Compute(before), ConfigHash.Compute(secretChanged));
        Assert.NotEqual(ConfigHash.Compute(secretChanged), ConfigHash.Compute(configChanged));
        Assert.Equal(ConfigHash.Compute(configChanged), ConfigHash.Compute(LoadHere(Yaml.Replace("CONTENT", "hello", StringComparison.Ordinal)).Services["web"]));
        Assert.DoesNotContain("second", ProjectWriter.ToJson(LoadHere(Yaml.Replace("CONTENT", "hi", StringComparison.Ordinal)), maskSecrets: false));
    }

    [Fact]
    public void A_secret_that_is_undeclared_missing_or_ambiguous_is_a_located_error()
    {
        Assert.Equal(
            [
                $"{_dir}/compose.yml:5:5: \"secrets\" in service \"web\": runtime local (host processes) cannot honour it; use runtime: docker or remove it",
                $"{_dir}/compose.yml:5:15: service \"web\" uses secret \"nope\", which is not declared in the top-level secrets section",
                $"{_dir}/compose.yml:5:21: secret \"gone\" of service \"web\": its file {_dir}/gone.txt does not exist",
                $"{_dir}/compose.yml:5:27: secret \"env\" of service \"web\": its environment variable UNSET_FOR_TEST is not set",
                $"{_dir}/compose.yml:9:3: secret \"both\": set exactly one of file, environment or external",
            ],
            ErrorsHere("runtime: local\nservices:\n  web:\n    command: ./serve\n    secrets: [nope, gone, env]\nsecrets:\n  gone: {file: gone.txt}\n  env: {environment: UNSET_FOR_TEST}\n  both: {file: a, external: true}\n"));
    }

    [Fact]
    public void Docker_refuses_secrets_it_cannot_mount_as_files_naming_the_runtime()
    {
        Assert.Equal(
            [
                $"{_dir}/compose.yml:4:15: secret \"token\" of service \"web\": runtime docker mounts secrets from a file and cannot honour one from an environment variable yet",
                $"{_dir}/compose.yml:4:22: secret \"swarm\" of service \"web\": runtime docker mounts secrets from a file and cannot honour an external one (a swarm feature) yet",
                $"{_dir}/compose.yml:5:15: config \"motd\" of service \"web\": runtime docker mounts configs from a file and cannot honour inline content yet",
            ],
            Load.ErrorsOf(() => LoadHere(
                "services:\n  web:\n    image: app:1\n    secrets: [token, swarm]\n    configs: [motd]\nsecrets:\n  token: {environment: TOKEN}\n  swarm: {external: true}\nconfigs:\n  motd: {content: hi}\n",
                Load.Env(("TOKEN", "t")))));
        File.WriteAllText(Path.Combine(_dir, "pw"), "x");
        Assert.Equal(
            [$"{_dir}/compose.yml:4:24: secret \"pw\" of service \"web\": runtime docker mounts the file as it is and cannot set uid, gid or mode; set them on the file"],
            ErrorsHere("services:\n  web:\n    image: app:1\n    secrets: [{source: pw, mode: 0400}]\nsecrets:\n  pw: {file: pw}\n"));
    }

    [Fact]
    public void Adding_a_network_alias_recreates_with_a_cause()
    {
        var before = Load.Service("services:\n  web:\n    image: app:1\n    networks: [default]\n");
        var after = Load.Service("services:\n  web:\n    image: app:1\n    networks: {default: {aliases: [www]}}\n");
        Assert.NotEqual(ConfigHash.Compute(before), ConfigHash.Compute(after));
        Assert.Equal("networks changed", ChangeExplainer.Explain(before, after));
    }
}
