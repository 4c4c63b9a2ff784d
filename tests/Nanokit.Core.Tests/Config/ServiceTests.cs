using Nanokit.Core.Model;
using Xunit;

namespace Nanokit.Core.Tests.Config;

public sealed class ServiceTests
{
    // An image service runs on Docker, where every key these tests read is honoured.
    private static ServiceSpec Web(string body) => Load.Service("services:\n  web:\n    image: app:1\n" + body);

    [Fact]
    public void Command_string_is_split_like_a_shell_and_a_list_is_taken_verbatim()
    {
        Assert.Equal(["sh", "-c", "echo \"hi there\"", "it's"], Load.Service("services:\n  web:\n    command: sh -c 'echo \"hi there\"' \"it's\"\n").Command!.Value.ToArray());
        Assert.Equal(["a b", "c"], Load.Service("services:\n  web:\n    command: [\"a b\", c]\n").Command!.Value.ToArray());
        Assert.Equal(["/bin/init", "--x"], Web("    entrypoint: /bin/init --x\n").Entrypoint!.Value.ToArray());
    }

    [Fact]
    public void Environment_list_and_map_forms_give_the_same_result()
    {
        var fromList = Web("    environment:\n      - A=1\n      - B=x=y\n      - C\n      - D=\n").Environment;
        var fromMap = Web("    environment:\n      A: 1\n      B: x=y\n      C:\n      D: \"\"\n").Environment;
        Assert.Equal(fromList, fromMap);
        Assert.Equal("x=y", fromList["B"]);
        Assert.Null(fromList["C"]);
        Assert.Equal("", fromList["D"]);
    }

    [Fact]
    public void Each_service_keeps_only_its_own_environment_labels_secrets_and_dependencies()
    {
        var project = Load.Yaml(
            "services:\n"
            + "  a:\n    image: app:1\n    environment:\n      A_TOKEN: 1\n    labels:\n      x: 1\n"
            + "  b:\n    image: app:1\n    environment:\n      B: 2\n    depends_on: [a]\n"
            + "  c:\n    image: app:1\n    labels:\n      y: 2\n    depends_on:\n      b:\n        condition: service_started\n");
        var (a, b, c) = (project.Services["a"], project.Services["b"], project.Services["c"]);
        Assert.Equal(["A_TOKEN"], a.Environment.Keys);
        Assert.Equal(["B"], b.Environment.Keys);
        Assert.Empty(c.Environment);
        Assert.Equal(["A_TOKEN"], a.SecretEnvironment);
        Assert.Empty(b.SecretEnvironment);
        Assert.Equal(["x"], a.Labels.Keys);
        Assert.Empty(b.Labels);
        Assert.Equal(["y"], c.Labels.Keys);
        Assert.Empty(a.DependsOn);
        Assert.Equal(["a"], b.DependsOn.Keys);
        Assert.Equal(["b"], c.DependsOn.Keys);
    }

    [Fact]
    public void Ports_short_syntax_covers_ranges_addresses_and_protocols()
    {
        var ports = Web("    ports:\n      - \"8080:80\"\n      - \"8000-8001:80-81\"\n      - \"127.0.0.1:9000:90/udp\"\n      - \"[::1]:7000:70\"\n      - 3000\n      - \"4000-4001\"\n      - \"127.0.0.1::5000\"\n").Ports;
        Assert.Equal(
            [
                new PortMapping(null, 8080, 80, "tcp"), new PortMapping(null, 8000, 80, "tcp"), new PortMapping(null, 8001, 81, "tcp"),
                new PortMapping("127.0.0.1", 9000, 90, "udp"), new PortMapping("::1", 7000, 70, "tcp"), new PortMapping(null, null, 3000, "tcp"),
                new PortMapping(null, null, 4000, "tcp"), new PortMapping(null, null, 4001, "tcp"), new PortMapping("127.0.0.1", null, 5000, "tcp"),
            ],
            ports.ToArray());
    }

    [Fact]
    public void Ports_long_syntax_is_read()
    {
        var ports = Web("    ports:\n      - target: 80\n        published: \"8080\"\n        host_ip: 10.0.0.1\n        protocol: udp\n        mode: host\n").Ports;
        Assert.Equal([new PortMapping("10.0.0.1", 8080, 80, "udp")], ports.ToArray());
    }

    [Theory]
    [InlineData("\"abc\"", "nanokit.yml:6:9: invalid port \"abc\": container port \"abc\" is not a port number (1-65535) or range")]
    [InlineData("\"70000:80\"", "nanokit.yml:6:9: invalid port \"70000:80\": host port \"70000\" is not a port number (1-65535) or range")]
    [InlineData("\"80/icmp\"", "nanokit.yml:6:9: invalid port \"80/icmp\": protocol must be tcp, udp or sctp, got \"icmp\"")]
    [InlineData("\"8000-8002:80-81\"", "nanokit.yml:6:9: invalid port \"8000-8002:80-81\": the host and container port ranges must have the same length")]
    public void Ports_that_are_invalid_are_located_errors(string port, string expected) =>
        Assert.Equal([expected], Load.Errors("services:\n  web:\n    command: run\n    image: x\n    ports:\n      - " + port + "\n"));

    [Fact]
    public void Volumes_short_and_long_syntax_resolve_bind_sources_against_the_project_directory()
    {
        var volumes = Load.Yaml("services:\n  web:\n    image: app:1\n    volumes:\n      - ./data:/data:ro\n      - /abs:/abs\n      - cache:/cache\n      - /anon\n      - type: bind\n        source: ../up\n        target: /up\nvolumes:\n  cache:\n").Services["web"].Volumes;
        Assert.Equal(
            [
                new VolumeMount("bind", "/work/proj/data", "/data", true), new VolumeMount("bind", "/abs", "/abs", false),
                new VolumeMount("volume", "cache", "/cache", false), new VolumeMount("volume", null, "/anon", false),
                new VolumeMount("bind", "/work/up", "/up", false),
            ],
            volumes.ToArray());
    }

    [Fact]
    public void Named_volumes_must_be_declared_at_the_top_level()
    {
        Assert.Equal(["nanokit.yml:5:9: named volume \"cache\" is not declared in the top-level volumes section"],
            Load.Errors("services:\n  web:\n    image: app:1\n    volumes:\n      - cache:/cache\n"));
    }

    [Fact]
    public void Depends_on_short_and_long_forms_are_read()
    {
        var project = Load.Yaml("services:\n  a: {command: x}\n  b: {command: x}\n  web:\n    command: run\n    depends_on: [a]\n  api:\n    command: run\n    depends_on:\n      a:\n        condition: service_healthy\n        restart: true\n      b:\n        condition: service_completed_successfully\n        required: false\n");
        Assert.Equal(new Dependency("a", DependencyCondition.ServiceStarted, true, false, new("nanokit.yml", 6, 18)), project.Services["web"].DependsOn["a"]);
        Assert.Equal(DependencyCondition.ServiceHealthy, project.Services["api"].DependsOn["a"].Condition);
        Assert.True(project.Services["api"].DependsOn["a"].Restart);
        Assert.False(project.Services["api"].DependsOn["b"].Required);
        Assert.Equal(DependencyCondition.ServiceCompletedSuccessfully, project.Services["api"].DependsOn["b"].Condition);
    }

    [Fact]
    public void Healthcheck_string_test_is_cmd_shell_and_defaults_follow_compose()
    {
        var h = Web("    healthcheck:\n      test: curl -f http://x\n      interval: 1m30s\n      start_period: 500ms\n").Healthcheck!;
        Assert.Equal(["CMD-SHELL", "curl -f http://x"], h.Test.ToArray());
        Assert.Equal(TimeSpan.FromSeconds(90), h.Interval);
        Assert.Equal(TimeSpan.FromSeconds(30), h.Timeout);
        Assert.Equal(3, h.Retries);
        Assert.Equal(TimeSpan.FromMilliseconds(500), h.StartPeriod);
        Assert.False(h.Disabled);
        Assert.True(Web("    healthcheck:\n      test: [\"NONE\"]\n").Healthcheck!.Disabled);
        Assert.True(Web("    healthcheck:\n      disable: true\n").Healthcheck!.Disabled);
        Assert.Equal(["CMD", "pg_isready"], Web("    healthcheck:\n      test: [CMD, pg_isready]\n      retries: 5\n").Healthcheck!.Test.ToArray());
    }

    [Fact]
    public void Healthcheck_list_must_start_with_cmd_cmd_shell_or_none()
    {
        Assert.Equal(["nanokit.yml:5:13: healthcheck.test: a list must start with CMD, CMD-SHELL or NONE"],
            Load.Errors("services:\n  web:\n    command: run\n    healthcheck:\n      test: [curl, x]\n"));
    }

    [Fact]
    public void Replicas_come_from_deploy_or_scale_and_must_agree()
    {
        Assert.Equal(3, Web("    deploy:\n      replicas: 3\n").Replicas);
        Assert.Equal(2, Web("    scale: 2\n").Replicas);
        Assert.Equal(0, Web("    scale: 0\n    deploy: {replicas: 0}\n").Replicas);
        Assert.Equal(1, Web("").Replicas);
        Assert.Equal(["nanokit.yml:4:12: scale (2) and deploy.replicas (3) disagree; set only one"],
            Load.Errors("services:\n  web:\n    command: run\n    scale: 2\n    deploy: {replicas: 3}\n"));
        Assert.Equal(["nanokit.yml:5:17: deploy.replicas must be 0 or more, got -1"],
            Load.Errors("services:\n  web:\n    command: run\n    deploy:\n      replicas: -1\n"));
    }

    [Fact]
    public void Durations_follow_compose_units()
    {
        Assert.Equal(TimeSpan.FromHours(1), Web("    stop_grace_period: 1h\n").StopGracePeriod);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), Web("    stop_grace_period: 1s500ms\n").StopGracePeriod);
        Assert.Equal(["nanokit.yml:4:24: stop_grace_period: invalid duration \"10 seconds\" (use a number with a unit, e.g. 1m30s, 10s, 500ms, 1h)"],
            Load.Errors("services:\n  web:\n    command: run\n    stop_grace_period: 10 seconds\n"));
    }

    [Fact]
    public void Hooks_accept_a_command_or_a_mapping()
    {
        var hooks = Web("    hooks:\n      prestart: ./migrate --up\n      poststart: [\"curl\", \"x\"]\n      prestop:\n        command: ./drain\n        run_on: host\n        timeout: 2m\n").Hooks;
        Assert.Equal(["./migrate", "--up"], hooks.Prestart!.Command.ToArray());
        Assert.Equal(HookLocation.Service, hooks.Prestart.RunOn);
        Assert.Equal(["curl", "x"], hooks.Poststart!.Command.ToArray());
        Assert.Equal(new Hook(hooks.Prestop!.Command, HookLocation.Host, TimeSpan.FromMinutes(2)), hooks.Prestop);
        Assert.Equal(["nanokit.yml:6:17: hooks.prestop.run_on: expected host or service, got \"moon\""],
            Load.Errors("services:\n  web:\n    command: run\n    hooks:\n      prestop:\n        run_on: moon\n        command: x\n"));
    }

    [Fact]
    public void Secret_environment_comes_from_secret_env_and_name_patterns()
    {
        var web = Web("    secret_env: [DSN]\n    environment:\n      DB_PASSWORD: p\n      api_token: t\n      MY_SECRET: s\n      SSH_KEY: k\n      DSN: d\n      PLAIN: x\n");
        Assert.Equal(["DB_PASSWORD", "DSN", "MY_SECRET", "SSH_KEY", "api_token"], web.SecretEnvironment.ToArray());
    }

    [Fact]
    public void Labels_profiles_and_working_dir_are_read()
    {
        var web = Load.Yaml("services:\n  web:\n    image: app:1\n    labels: [\"a=1\", \"b=2\"]\n    profiles: [debug]\n    working_dir: /srv\n", profiles: ["debug"]).Services["web"];
        Assert.Equal("2", web.Labels["b"]);
        Assert.Equal(["debug"], web.Profiles.ToArray());
        Assert.Equal("/srv", web.WorkingDir);
    }

    [Fact]
    public void Env_file_is_read_relative_to_the_project_and_environment_wins()
    {
        var dir = Directory.CreateTempSubdirectory("nk-envfile-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "app.env"), "A=from-file\nB=from-file\n");
            File.WriteAllText(Path.Combine(dir, "nanokit.yml"), "services:\n  web:\n    command: run\n    env_file:\n      - app.env\n      - path: missing.env\n        required: false\n    environment:\n      B: inline\n");
            var project = Nanokit.Core.Config.ProjectLoader.Load(Load.Options() with { WorkingDirectory = dir });
            Assert.Equal("from-file", project.Services["web"].Environment["A"]);
            Assert.Equal("inline", project.Services["web"].Environment["B"]);

            File.WriteAllText(Path.Combine(dir, "nanokit.yml"), "services:\n  web:\n    command: run\n    env_file: nope.env\n");
            var errors = Load.ErrorsOf(() => Nanokit.Core.Config.ProjectLoader.Load(Load.Options() with { WorkingDirectory = dir }));
            Assert.Equal([$"{dir}/nanokit.yml:4:15: env_file \"nope.env\" not found (resolved to {dir}/nope.env); mark it required: false if it is optional"], errors);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
