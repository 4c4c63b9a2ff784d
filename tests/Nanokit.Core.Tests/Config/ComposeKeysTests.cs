using Nanokit.Core.Config;
using Nanokit.Core.Model;
using Nanokit.Core.Plan;
using Xunit;

namespace Nanokit.Core.Tests.Config;

/// <summary>The Compose service keys that configure the container, restart, and the runtime a project gets.</summary>
public sealed class ComposeKeysTests
{
    private const string AllContainerKeys = """
        services:
          web:
            image: nginx:1.27
            hostname: web1
            domainname: example.org
            user: "1000:1000"
            platform: linux/amd64
            runtime: runc
            stop_signal: SIGQUIT
            pid: host
            ipc: shareable
            mac_address: 02:42:ac:11:00:02
            stdin_open: true
            tty: true
            privileged: true
            read_only: true
            init: true
            shm_size: 64m
            oom_score_adj: -500
            cap_add: [NET_ADMIN, SYS_TIME]
            cap_drop: [ALL]
            dns: 1.1.1.1
            dns_search: [example.org]
            security_opt: ["no-new-privileges:true"]
            group_add: [audio, 1001]
            expose: ["80", 8000-8001/udp]
            tmpfs: /run
            devices: ["/dev/fuse", {source: /dev/net/tun, target: /dev/tun, permissions: rwm}]
            extra_hosts: ["db:10.0.0.5", "cache=10.0.0.6"]
            sysctls: [net.core.somaxconn=1024]
            ulimits: {nproc: 65535, nofile: {soft: 20000, hard: 40000}}
            logging: {driver: json-file, options: {max-size: 10m}}
        """;

    [Fact]
    public void Every_container_key_of_the_compose_specification_is_read()
    {
        var c = Load.Service(AllContainerKeys).Container;
        Assert.Equal(("web1", "example.org", "1000:1000", "linux/amd64", "runc"), (c.Hostname, c.Domainname, c.User, c.Platform, c.OciRuntime));
        Assert.Equal(("SIGQUIT", "host", "shareable", "02:42:ac:11:00:02"), (c.StopSignal, c.Pid, c.Ipc, c.MacAddress));
        Assert.True(c.StdinOpen && c.Tty && c.Privileged && c.ReadOnly && c.Init == true);
        Assert.Equal((64L << 20, -500), (c.ShmSize, c.OomScoreAdj));
        Assert.Equal(["NET_ADMIN", "SYS_TIME"], c.CapAdd.ToArray());
        Assert.Equal(["ALL"], c.CapDrop.ToArray());
        Assert.Equal(["1.1.1.1"], c.Dns.ToArray());
        Assert.Equal(["example.org"], c.DnsSearch.ToArray());
        Assert.Equal(["no-new-privileges:true"], c.SecurityOpt.ToArray());
        Assert.Equal(["audio", "1001"], c.GroupAdd.ToArray());
        Assert.Equal(["80/tcp", "8000-8001/udp"], c.Expose.ToArray());
        Assert.Equal(["/run"], c.Tmpfs.ToArray());
        Assert.Equal(["/dev/fuse:/dev/fuse", "/dev/net/tun:/dev/tun:rwm"], c.Devices.ToArray());
        Assert.Equal(["db:10.0.0.5", "cache:10.0.0.6"], c.ExtraHosts.ToArray());
        Assert.Equal("1024", c.Sysctls["net.core.somaxconn"]);
        Assert.Equal(new Ulimit(65535, 65535), c.Ulimits["nproc"]);
        Assert.Equal(new Ulimit(20000, 40000), c.Ulimits["nofile"]);
        Assert.Equal("json-file", c.Logging!.Driver);
        Assert.Equal("10m", c.Logging.Options["max-size"]);
    }

    [Fact]
    public void A_file_with_only_images_runs_on_docker_and_config_says_so()
    {
        var project = Load.Yaml(AllContainerKeys);
        Assert.Equal((RuntimeKind.Docker, RuntimeChoice.DefaultForImages), (project.Runtime, project.RuntimeChoice));
        var yaml = ProjectWriter.ToYaml(project);
        Assert.Contains("runtime: docker\n", yaml);
        Assert.Contains("    cap_add:\n      - NET_ADMIN\n      - SYS_TIME\n", yaml);
        Assert.Contains("    runtime: runc\n", yaml);
    }

    [Fact]
    public void The_config_output_of_every_container_key_loads_back_to_the_same_project()
    {
        var project = Load.Yaml(AllContainerKeys);
        var again = ProjectLoader.Parse([("config.yml", ProjectWriter.ToYaml(project))], Load.Options());
        Assert.Equal(ProjectWriter.ToJson(project), ProjectWriter.ToJson(again));
        Assert.Equal(ConfigHash.Compute(project.Services["web"]), ConfigHash.Compute(again.Services["web"]));
    }

    [Fact]
    public void Command_only_services_stay_local_processes()
    {
        var project = Load.Yaml("services:\n  web:\n    command: ./serve\n");
        Assert.Equal((RuntimeKind.Local, RuntimeChoice.DefaultForCommands), (project.Runtime, project.RuntimeChoice));
        Assert.Equal(RuntimeChoice.Declared, Load.Yaml("runtime: local\nservices:\n  web:\n    command: ./serve\n").RuntimeChoice);
        Assert.Equal(
            [
                "nanokit.yml:4:3: service \"db\" has no command; runtime local runs a process and needs one (runtime local was chosen because not every service declares an image; set runtime: docker to run images)",
                "nanokit.yml:5:5: \"image\" in service \"db\": runtime local (host processes) cannot honour it (it starts the service's command on the host, not an image); use runtime: docker or remove it",
            ],
            Load.Errors("services:\n  web:\n    command: ./serve\n  db:\n    image: postgres:16\n"));
    }

    [Fact]
    public void Container_keys_on_the_local_runtime_are_located_errors_naming_the_runtime()
    {
        Assert.Equal(
            [
                "nanokit.yml:5:5: \"cap_add\" in service \"web\": runtime local (host processes) cannot honour it; use runtime: docker or remove it",
                "nanokit.yml:6:5: \"privileged\" in service \"web\": runtime local (host processes) cannot honour it; use runtime: docker or remove it",
                "nanokit.yml:7:5: \"networks\" in service \"web\": runtime local (host processes) cannot honour it; use runtime: docker or remove it",
            ],
            Load.Errors("runtime: local\nservices:\n  web:\n    command: ./serve\n    cap_add: [NET_ADMIN]\n    privileged: true\n    networks: [default]\n"));
    }

    [Fact]
    public void Pull_policy_network_mode_and_resources_on_the_local_runtime_are_located_errors_in_file_order()
    {
        Assert.Equal(
            [
                "nanokit.yml:5:5: \"pull_policy\" in service \"web\": runtime local (host processes) cannot honour it; use runtime: docker or remove it",
                "nanokit.yml:6:5: \"user\" in service \"web\": runtime local (host processes) cannot honour it; use runtime: docker or remove it",
                "nanokit.yml:7:5: \"network_mode\" in service \"web\": runtime local (host processes) cannot honour it; use runtime: docker or remove it",
                "nanokit.yml:8:14: \"deploy.resources\" in service \"web\": runtime local (host processes) cannot honour it; use runtime: docker or remove it",
            ],
            Load.Errors("runtime: local\nservices:\n  web:\n    command: ./serve\n    pull_policy: always\n    user: app\n    network_mode: host\n    deploy: {resources: {limits: {memory: 64M}}}\n"));
        var web = Load.Service("runtime: docker\nservices:\n  web:\n    image: app:1\n    pull_policy: always\n    user: app\n    network_mode: host\n    deploy: {resources: {limits: {memory: 64M}}}\n");
        Assert.Equal(("host", "app"), (web.NetworkMode, web.Container.User));
    }


    [Fact]
    public void Image_ports_volumes_and_labels_on_the_local_runtime_are_located_errors_saying_what_to_do_instead()
    {
        Assert.Equal(
            [
                "nanokit.yml:4:5: \"image\" in service \"web\": runtime local (host processes) cannot honour it (it starts the service's command on the host, not an image; runtime local was chosen because not every service declares an image); use runtime: docker or remove it",
                "nanokit.yml:6:5: \"ports\" in service \"web\": runtime local (host processes) cannot honour it (the process publishes nothing: it listens where its command tells it to); use runtime: docker or remove it",
                "nanokit.yml:7:5: \"volumes\" in service \"web\": runtime local (host processes) cannot honour it (the process reads host paths as they are: give them to its command); use runtime: docker or remove it",
                "nanokit.yml:8:5: \"labels\" in service \"web\": runtime local (host processes) cannot honour it (a process has no labels; keep notes under an x- key); use runtime: docker or remove it",
            ],
            Load.Errors("services:\n  web:\n    x-note: {kept: yes}\n    image: app:1\n    command: ./serve\n    ports: [\"8080:80\"]\n    volumes: [\"./data:/data\"]\n    labels: {tier: web}\n  worker:\n    command: ./work\n"));
        var web = Load.Service("runtime: docker\nservices:\n  web:\n    image: app:1\n    command: ./serve\n    ports: [\"8080:80\"]\n    volumes: [\"./data:/data\"]\n    labels: {tier: web}\n");
        Assert.Equal((1, 1, "web"), (web.Ports.Length, web.Volumes.Length, web.Labels["tier"]));
    }
    [Fact]
    public void Bad_container_values_name_their_place()
    {
        Assert.Equal(
            [
                "nanokit.yml:4:20: oom_score_adj must be between -1000 and 1000, got 5000",
                "nanokit.yml:5:14: cap_add: expected a sequence, got a string",
                "nanokit.yml:6:13: expose: \"http\" is not a port, a port range or either with /tcp, /udp or /sctp",
                "nanokit.yml:7:23: ulimits.nofile: soft (10) is above hard (5)",
                "nanokit.yml:8:35: logging.options.max-size: expected a string, got a mapping",
                "nanokit.yml:9:14: restart: \"alway\" is not one of no, always, on-failure, unless-stopped; did you mean \"always\"?",
            ],
            Load.Errors("services:\n  web:\n    image: app:1\n    oom_score_adj: 5000\n    cap_add: NET_ADMIN\n    expose: [http]\n    ulimits: {nofile: {soft: 10, hard: 5}}\n    logging: {options: {max-size: {a: 1}}}\n    restart: alway\n"));
        Assert.Equal(
            ["nanokit.yml:6:21: container_name: service \"web\" has 2 replicas, and a container name can be used by one only"],
            Load.Errors("runtime: docker\nservices:\n  web:\n    image: app:1\n    scale: 2\n    container_name: one\n"));
    }

    [Fact]
    public void Container_name_is_read_on_docker_and_two_services_cannot_claim_one()
    {
        Assert.Equal("shop-web", Load.Service("services:\n  web:\n    image: app:1\n    container_name: shop-web\n").Container.ContainerName);
        Assert.Equal(
            ["nanokit.yml:7:5: container_name \"shop\" of service \"api\" is already the container name of service \"web\""],
            Load.Errors("services:\n  web:\n    image: app:1\n    container_name: shop\n  api:\n    image: app:1\n    container_name: shop\n"));
    }

    [Theory]
    [InlineData("no", RestartMode.No)]
    [InlineData("\"no\"", RestartMode.No)]
    [InlineData("always", RestartMode.Always)]
    [InlineData("unless-stopped", RestartMode.UnlessStopped)]
    [InlineData("on-failure", RestartMode.OnFailure)]
    public void Restart_reads_every_compose_form(string value, RestartMode mode) =>
        Assert.Equal(mode, Load.Service($"services:\n  web:\n    image: app:1\n    restart: {value}\n").Restart);

    [Fact]
    public void Restart_is_null_when_not_declared_and_on_failure_reads_its_bound()
    {
        Assert.Null(Load.Service("services:\n  web:\n    image: app:1\n").Restart);
        var web = Load.Service("services:\n  web:\n    image: app:1\n    restart: on-failure:3\n");
        Assert.Equal((RestartMode.OnFailure, 3), (web.Restart, web.RestartAttempts));
        Assert.Null(Load.Service("services:\n  web:\n    image: app:1\n    restart: on-failure\n").RestartAttempts);
        Assert.Equal(
            ["nanokit.yml:4:14: restart: \"on-failure:x\": the count after on-failure: must be a whole number of attempts (on-failure:3)"],
            Load.Errors("services:\n  web:\n    image: app:1\n    restart: on-failure:x\n"));
    }

    [Theory]
    [InlineData("restart: on-failure:3", "on-failure:3")]
    [InlineData("deploy: {restart_policy: {condition: any, max_attempts: 2}}", "max_attempts: 2")]
    [InlineData("deploy: {restart_policy: {condition: on-failure, max_attempts: 2, delay: 1m30s}}", "delay: 1m30s")]
    public void A_bounded_restart_survives_config_and_reload(string key, string written)
    {
        var project = Load.Yaml($"services:\n  web:\n    image: app:1\n    {key}\n");
        var yaml = ProjectWriter.ToYaml(project);
        Assert.Contains(written, yaml, StringComparison.Ordinal);
        var again = ProjectLoader.Parse([("config.yml", yaml)], Load.Options());
        Assert.Equal(
            (project.Services["web"].Restart, project.Services["web"].RestartAttempts, project.Services["web"].RestartDelay),
            (again.Services["web"].Restart, again.Services["web"].RestartAttempts, again.Services["web"].RestartDelay));
    }

    [Fact]
    public void Deploy_restart_policy_overrides_restart_as_docker_compose_does()
    {
        var web = Load.Service("services:\n  web:\n    image: app:1\n    restart: always\n    deploy: {restart_policy: {condition: on-failure}}\n");
        Assert.Equal(RestartMode.OnFailure, web.Restart);
        Assert.Equal(RestartMode.No, Load.Service("services:\n  web:\n    image: app:1\n    deploy: {restart_policy: {condition: none}}\n").Restart);
        Assert.Equal(
            ["nanokit.yml:4:47: \"window\" in deploy.restart_policy is a Compose key no Nanokit runtime honours yet (local, docker)"],
            Load.Errors("services:\n  web:\n    image: app:1\n    deploy: {restart_policy: {condition: any, window: 5s}}\n"));
        Assert.Equal(TimeSpan.FromSeconds(5), Load.Service("services:\n  web:\n    image: app:1\n    deploy: {restart_policy: {condition: any, delay: 5s}}\n").RestartDelay);
        Assert.Equal(TimeSpan.Zero, web.RestartDelay);
        Assert.Equal(
            ["nanokit.yml:4:54: deploy.restart_policy.delay: invalid duration \"soon\" (use a number with a unit, e.g. 1m30s, 10s, 500ms, 1h)"],
            Load.Errors("services:\n  web:\n    image: app:1\n    deploy: {restart_policy: {condition: any, delay: soon}}\n"));
        Assert.Equal(4, Load.Service("services:\n  web:\n    image: app:1\n    deploy: {restart_policy: {condition: on-failure, max_attempts: 4}}\n").RestartAttempts);
        Assert.Equal(
            ["nanokit.yml:4:61: deploy.restart_policy.max_attempts: expected a count of attempts (0 or more), got -1"],
            Load.Errors("services:\n  web:\n    image: app:1\n    deploy: {restart_policy: {condition: any, max_attempts: -1}}\n"));
    }

    [Fact]
    public void Healthcheck_start_interval_and_resource_reservations_are_read()
    {
        var web = Load.Service("services:\n  web:\n    image: app:1\n    healthcheck: {test: [CMD, ok], start_period: 30s, start_interval: 1s}\n    deploy: {resources: {reservations: {memory: 64m}}}\n");
        Assert.Equal(TimeSpan.FromSeconds(1), web.Healthcheck!.StartInterval);
        Assert.Equal(new ResourceReservations(null, 64L << 20), web.Reservations);
        Assert.Equal(0.25, Load.Service("runtime: kubernetes\nservices:\n  web:\n    image: app:1\n    deploy: {resources: {reservations: {cpus: '0.25'}}}\n").Reservations!.Cpus);
        Assert.Equal(
            ["nanokit.yml:4:47: deploy.resources.reservations.cpus in service \"web\": runtime docker cannot reserve CPUs (Docker has no CPU reservation); use limits.cpus"],
            Load.Errors("services:\n  web:\n    image: app:1\n    deploy: {resources: {reservations: {cpus: '0.25'}}}\n"));
    }

    [Fact]
    public void Compose_runtime_string_is_the_oci_runtime_and_a_provider_option_no_runtime_defines_is_a_located_error()
    {
        var project = Load.Yaml("services:\n  web:\n    image: app:1\n    runtime: runsc\n    x-nanokit-runtime: {}\n");
        Assert.Equal("runsc", project.Services["web"].Container.OciRuntime);
        Assert.Empty(project.Services["web"].RuntimeOptions);
        Assert.Empty(project.Warnings);
        Assert.Equal(
            ["nanokit.yml:5:25: x-nanokit-runtime.pool in service \"web\": no runtime defines provider options (local, docker and kubernetes read none); remove it"],
            Load.Errors("services:\n  web:\n    image: app:1\n    runtime: runsc\n    x-nanokit-runtime: {pool: fast}\n"));
    }

    [Fact]
    public void The_old_runtime_mapping_still_loads_with_a_located_deprecation_warning()
    {
        var project = Load.Yaml("services:\n  web:\n    image: app:1\n    runtime: {}\n");
        Assert.Null(project.Services["web"].Container.OciRuntime);
        Assert.Equal(
            ["nanokit.yml:4:5: warning: a runtime: mapping of provider options is deprecated (Compose's runtime: is the OCI runtime); rename it to x-nanokit-runtime:"],
            project.Warnings.Select(w => w.ToString()));
        Assert.Equal(
            ["nanokit.yml:4:15: runtime.pool in service \"web\": no runtime defines provider options (local, docker and kubernetes read none); remove it"],
            Load.Errors("services:\n  web:\n    image: app:1\n    runtime: {pool: fast}\n"));
        Assert.Equal(
            ["nanokit.yml:5:5: x-nanokit-runtime and the deprecated runtime: mapping cannot both be set; keep x-nanokit-runtime"],
            Load.Errors("services:\n  web:\n    image: app:1\n    runtime: {}\n    x-nanokit-runtime: {}\n"));
    }

    [Fact]
    public void A_container_key_change_recreates_with_a_cause_naming_the_key()
    {
        var before = Load.Service("services:\n  web:\n    image: app:1\n    cap_add: [NET_ADMIN]\n    restart: always\n");
        var after = Load.Service("services:\n  web:\n    image: app:1\n    cap_add: [SYS_TIME]\n    restart: on-failure\n");
        Assert.NotEqual(ConfigHash.Compute(before), ConfigHash.Compute(after));
        Assert.Equal("cap_add changed", ChangeExplainer.Explain(before, after));

        // restart is enforced by heal, around the container: changing it needs no new replica.
        var restartOnly = Load.Service("services:\n  web:\n    image: app:1\n    cap_add: [NET_ADMIN]\n    restart: on-failure\n");
        Assert.Equal(ConfigHash.Compute(before), ConfigHash.Compute(restartOnly));
    }

    [Fact]
    public void A_service_without_the_new_keys_keeps_its_hash()
    {
        var plain = Load.Service("services:\n  web:\n    image: app:1\n");
        var withDefaults = Load.Service("services:\n  web:\n    image: app:1\n    privileged: false\n    cap_add: []\n    restart: \"no\"\n");
        Assert.Equal(ConfigHash.Compute(plain), ConfigHash.Compute(withDefaults));
    }

    [Fact]
    public void The_plan_says_which_runtime_was_chosen_and_why()
    {
        var images = Load.Yaml("services:\n  web:\n    image: app:1\n");
        var plan = PlanEngine.Plan(images, ObservedState.Empty);
        Assert.Equal("docker (the default: no runtime: in the file, and every service declares an image)", plan.Runtime);
        Assert.Contains("\"runtime\":\"docker (the default", plan.ToJson(), StringComparison.Ordinal);
        Assert.Equal("local (the default: no runtime: in the file, and a service declares no image)", RuntimeChoices.Describe(Load.Yaml("services:\n  web:\n    command: x\n")));
        Assert.Equal("docker (declared)", RuntimeChoices.Describe(Load.Yaml("runtime: docker\nservices:\n  web:\n    image: x\n")));
    }
}
