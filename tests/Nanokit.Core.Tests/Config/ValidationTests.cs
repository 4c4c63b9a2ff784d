using Xunit;

namespace Nanokit.Core.Tests.Config;

public sealed class ValidationTests
{
    [Fact]
    public void Validation_reports_all_errors_at_once_each_located()
    {
        const string yaml = """
            runtime: docker
            services:
              web:
                imgae: app
                command: run
                ports: ["8080:80"]
                depends_on: [dbb]
                healthcheck: [curl]
                stop_grace_period: soon
              "bad name!":
                image: app
                command: run
              api:
                image: app
                command: run
                ports: ["8080:81"]
                volumes_from: [web]
            """;
        string[] expected =
            [
                "nanokit.yml:3:3: service \"web\" has no image; runtime docker needs one",
                "nanokit.yml:4:5: unknown key \"imgae\" in service \"web\"; did you mean \"image\"?",
                "nanokit.yml:7:18: service \"web\" depends on undefined service \"dbb\"",
                "nanokit.yml:8:18: healthcheck: expected a mapping, got a sequence",
                "nanokit.yml:9:24: stop_grace_period: invalid duration \"soon\" (use a number with a unit, e.g. 1m30s, 10s, 500ms, 1h)",
                "nanokit.yml:10:3: invalid service name \"bad name!\": use letters, digits, '.', '_' and '-', starting with a letter or digit",
                "nanokit.yml:16:13: host port 8080/tcp is already published by service \"web\" at nanokit.yml:6:13",
                "nanokit.yml:17:5: \"volumes_from\" in service \"api\" is a Compose key no Nanokit runtime honours yet (local, docker)",
            ];
        Assert.Equal(string.Join("\n", expected), string.Join("\n", Load.Errors(yaml)));
    }

    [Fact]
    public void Validation_suggests_the_nearest_key_only_for_likely_typos()
    {
        Assert.Equal("nanokit.yml:1:1: unknown key \"servces\" at the top level; did you mean \"services\"?", Load.Errors("servces: {}\n")[0]);
        Assert.Equal(["nanokit.yml:3:5: unknown key \"frobnicate\" in service \"web\""], Load.Errors("services:\n  web:\n    frobnicate: 1\n    command: x\n"));
        Assert.Equal(["nanokit.yml:5:7: unknown key \"retires\" in healthcheck; did you mean \"retries\"?"],
            Load.Errors("services:\n  web:\n    command: x\n    healthcheck:\n      retires: 3\n"));
    }

    [Fact]
    public void Validation_reports_wrong_types()
    {
        Assert.Equal(["nanokit.yml:2:8: service \"web\": expected a mapping, got a sequence"], Load.Errors("services:\n  web: [a]\n"));
        Assert.Equal(["nanokit.yml:4:24: deploy.replicas: expected an integer, got \"many\""], Load.Errors("services:\n  web:\n    command: x\n    deploy: {replicas: many}\n"));
        Assert.Equal(["nanokit.yml:4:12: image: expected a string, got a mapping"], Load.Errors("runtime: docker\nservices:\n  web:\n    image: {a: b}\n    command: x\n"));
    }

    [Fact]
    public void Validation_drops_optional_dependencies_on_missing_services()
    {
        var web = Load.Service("services:\n  web:\n    command: x\n    depends_on:\n      ghost:\n        required: false\n");
        Assert.Empty(web.DependsOn);
    }

    [Fact]
    public void The_kubernetes_runtime_refuses_the_container_keys_it_does_not_map_onto_a_pod_at_their_line()
    {
        Assert.Equal(
            [
                "nanokit.yml:5:15: volumes entry of service \"web\": runtime kubernetes cannot mount a host path (the pod may run on another machine, where it is not); use a named volume, or runtime: docker",
                "nanokit.yml:6:5: \"user\" in service \"web\": runtime kubernetes does not map this key onto a pod yet; use runtime: docker or remove it",
                "nanokit.yml:7:5: \"network_mode\" in service \"web\": runtime kubernetes puts each project in its own namespace, where services reach each other by name; it has no Compose networks; use runtime: docker or remove it",
            ],
            Load.Errors("runtime: kubernetes\nservices:\n  web:\n    image: app:1\n    volumes: [./data:/data]\n    user: app\n    network_mode: host\n"));
        var web = Load.Yaml("runtime: kubernetes\nservices:\n  web:\n    image: app:1\n    ports: ['8080:80']\n    labels: {a: b}\n    pull_policy: always\n    deploy: {resources: {limits: {cpus: '0.5'}}}\n    healthcheck: {test: [CMD, true]}\n").Services["web"];
        Assert.Equal((80, "b"), (web.Ports[0].ContainerPort, web.Labels["a"]));
    }

    [Fact]
    public void The_kubernetes_runtime_mounts_named_anonymous_and_tmpfs_volumes_and_refuses_tmpfs_options_at_the_key()
    {
        var web = Load.Yaml("runtime: kubernetes\nservices:\n  web:\n    image: app:1\n    volumes: ['data:/data:ro', /scratch, {type: tmpfs, target: /cache}]\n    tmpfs: /run\nvolumes:\n  data:\n").Services["web"];
        Assert.Equal(["volume data /data True", "volume  /scratch False", "tmpfs  /cache False"], web.Volumes.Select(v => $"{v.Type} {v.Source} {v.Target} {v.ReadOnly}"));
        Assert.Equal(
            ["nanokit.yml:5:5: \"tmpfs\" in service \"web\": runtime kubernetes mounts a tmpfs as an emptyDir in memory and cannot pass it options (give a path alone); use runtime: docker or remove it"],
            Load.Errors("runtime: kubernetes\nservices:\n  web:\n    image: app:1\n    tmpfs: ['/run:size=64m']\n"));
    }

    [Fact]
    public void Validation_requires_an_image_for_container_runtimes_and_a_command_for_local()
    {
        Assert.Equal(["nanokit.yml:3:3: service \"web\" has no image; runtime docker needs one"], Load.Errors("runtime: docker\nservices:\n  web:\n    command: x\n"));
        Assert.Equal(["nanokit.yml:3:3: service \"web\" has no image; runtime kubernetes needs one"], Load.Errors("runtime: kubernetes\nservices:\n  web: {}\n"));
        Assert.Equal(
            [
                "nanokit.yml:3:3: service \"web\" has no command; runtime local runs a process and needs one",
                "nanokit.yml:4:5: \"image\" in service \"web\": runtime local (host processes) cannot honour it (it starts the service's command on the host, not an image); use runtime: docker or remove it",
            ],
            Load.Errors("runtime: local\nservices:\n  web:\n    image: x\n"));
        Assert.Equal("x", Load.Yaml("runtime: docker\nservices:\n  web:\n    image: x\n").Services["web"].Image);
    }

    [Fact]
    public void Validation_allows_the_same_host_port_on_different_addresses_or_protocols()
    {
        var project = Load.Yaml("services:\n  a:\n    image: x\n    ports: [\"8080:80\", \"8080:80/udp\"]\n  b:\n    image: x\n    ports: [\"127.0.0.1:8080:80\"]\n");
        Assert.Equal(2, project.Services["a"].Ports.Length);
    }

    [Fact]
    public void Validation_ignores_x_extensions_everywhere()
    {
        var web = Load.Service("x-top: 1\nservices:\n  web:\n    x-note: {any: thing}\n    command: x\n    healthcheck:\n      x-why: slow\n      test: true\n");
        Assert.Equal(["CMD-SHELL", "true"], web.Healthcheck!.Test.ToArray());
    }
}
