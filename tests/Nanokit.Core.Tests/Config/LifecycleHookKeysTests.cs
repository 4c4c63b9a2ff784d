using Nanokit.Core.Config;
using Nanokit.Core.Plan;
using Xunit;

namespace Nanokit.Core.Tests.Config;

/// <summary>Compose's post_start and pre_stop: read with every field, shown by config, hashed, and refused where they cannot run.</summary>
public sealed class LifecycleHookKeysTests
{
    private const string Hooks = """
        services:
          web:
            image: app:1
            post_start:
              - command: ./register.sh --now
                user: root
                privileged: true
                working_dir: /srv
                environment:
                  - MODE=start
              - command: [touch, /tmp/ready]
            pre_stop:
              - command: ./drain.sh
                environment: {GRACE: "5", TOKEN: }
        """;

    [Fact]
    public void Post_start_and_pre_stop_are_read_with_every_field_in_order()
    {
        var c = Load.Service(Hooks).Container;
        Assert.Equal(2, c.PostStart.Length);
        var first = c.PostStart[0];
        Assert.Equal(["./register.sh", "--now"], first.Command.ToArray());
        Assert.Equal(("root", true, "/srv"), (first.User, first.Privileged, first.WorkingDir));
        Assert.Equal("start", first.Environment["MODE"]);
        Assert.Equal(["touch", "/tmp/ready"], c.PostStart[1].Command.ToArray());
        Assert.Equal((null, false, null), (c.PostStart[1].User, c.PostStart[1].Privileged, c.PostStart[1].WorkingDir));
        var drain = Assert.Single(c.PreStop);
        Assert.Equal("5", drain.Environment["GRACE"]);
        Assert.Null(drain.Environment["TOKEN"]);
    }

    [Fact]
    public void The_config_output_of_the_hooks_loads_back_to_the_same_project_and_hash()
    {
        var project = Load.Yaml(Hooks);
        var yaml = ProjectWriter.ToYaml(project);
        Assert.Contains("    post_start:\n      - command:\n          - ./register.sh\n          - \"--now\"\n        environment:\n          MODE: start\n        privileged: true\n        user: root\n        working_dir: /srv\n", yaml);
        var again = ProjectLoader.Parse([("config.yml", yaml)], Load.Options());
        Assert.Equal(ProjectWriter.ToJson(project), ProjectWriter.ToJson(again));
        Assert.Equal(ConfigHash.Compute(project.Services["web"]), ConfigHash.Compute(again.Services["web"]));
    }

    [Fact]
    public void Changing_a_hook_changes_the_config_hash()
    {
        var before = Load.Service(Hooks);
        var after = Load.Service(Hooks.Replace("./drain.sh", "./drain.sh --fast", StringComparison.Ordinal));
        Assert.NotEqual(ConfigHash.Compute(before), ConfigHash.Compute(after));
        Assert.Equal(ConfigHash.Compute(before), ConfigHash.Compute(Load.Service(Hooks)));
    }

    [Fact]
    public void The_hooks_append_across_files_as_compose_sequences_do()
    {
        var project = ProjectLoader.Parse(
            [
                ("nanokit.yml", "services:\n  web:\n    image: app:1\n    post_start:\n      - command: one\n"),
                ("override.yml", "services:\n  web:\n    post_start:\n      - command: two\n"),
            ],
            Load.Options());
        Assert.Equal(["one", "two"], project.Services["web"].Container.PostStart.Select(h => h.Command[0]).ToArray());
    }

    [Fact]
    public void Malformed_hooks_are_located_errors()
    {
        Assert.Equal(
            [
                "nanokit.yml:4:17: post_start: expected a list of hooks (each a mapping with a command), got a string",
                "nanokit.yml:6:9: pre_stop[0]: \"command\" is required and may not be empty",
                "nanokit.yml:7:9: unknown key \"timeout\" in pre_stop[1]",
            ],
            Load.Errors("services:\n  web:\n    image: app:1\n    post_start: ./x\n    pre_stop:\n      - user: root\n      - timeout: 5\n        command: ./y\n"));
    }

    [Fact]
    public void The_local_runtime_refuses_the_hooks_at_their_line()
    {
        Assert.Equal(
            [
                "nanokit.yml:5:5: \"post_start\" in service \"web\": runtime local (host processes) cannot honour it; use runtime: docker or remove it",
                "nanokit.yml:7:5: \"pre_stop\" in service \"web\": runtime local (host processes) cannot honour it; use runtime: docker or remove it",
            ],
            Load.Errors("runtime: local\nservices:\n  web:\n    command: ./serve\n    post_start:\n      - command: ./a\n    pre_stop:\n      - command: ./b\n"));
    }

    [Fact]
    public void The_kubernetes_runtime_reads_the_hooks_commands_and_refuses_what_an_exec_cannot_set_at_its_key()
    {
        const string File = "services:\n  web:\n    image: app:1\n    post_start:\n      - command: ./a\n    pre_stop:\n      - command: ./b\n";
        var web = Load.Yaml("runtime: kubernetes\n" + File).Services["web"];
        Assert.Equal(("./a", "./b"), (string.Join(' ', web.Container.PostStart.Single().Command), string.Join(' ', web.Container.PreStop.Single().Command)));
        Assert.Equal(
            [
                "nanokit.yml:7:9: \"post_start[0].user\" in service \"web\": runtime kubernetes runs the hook through pods/exec, which takes only a command (it runs as the container's user, in its working directory, with its environment); use runtime: docker or remove it",
                "nanokit.yml:9:9: \"pre_stop[0].environment\" in service \"web\": runtime kubernetes runs the hook through pods/exec, which takes only a command (it runs as the container's user, in its working directory, with its environment); use runtime: docker or remove it",
            ],
            Load.Errors("runtime: kubernetes\nservices:\n  web:\n    image: app:1\n    post_start:\n      - command: ./a\n        user: root\n    pre_stop:\n      - environment: {A: b}\n        command: ./b\n"));
    }

    [Fact]
    public void The_kubernetes_runtime_runs_prestart_in_a_pod_and_refuses_host_hooks_at_their_run_on()
    {
        const string File =
            "services:\n  web:\n    image: app:1\n    hooks:\n      prestart:\n        command: ./migrate\n        run_on: host\n" +
            "      poststart: ./warm\n      prestop:\n        command: ./drain\n        run_on: host\n";
        Assert.Equal(
            [
                "nanokit.yml:8:17: \"hooks.prestart.run_on\" in service \"web\": runtime kubernetes runs hooks in the cluster, not on the host; use runtime: docker or remove it",
                "nanokit.yml:12:17: \"hooks.prestop.run_on\" in service \"web\": runtime kubernetes runs hooks in the cluster, not on the host; use runtime: docker or remove it",
            ],
            Load.Errors("runtime: kubernetes\n" + File));
        var web = Load.Yaml("runtime: kubernetes\nservices:\n  web:\n    image: app:1\n    hooks:\n      prestart: ./migrate\n      poststart: ./warm\n      prestop: ./drain\n").Services["web"];
        Assert.NotNull(web.Hooks.Prestart);
        Assert.NotNull(web.Hooks.Poststart);
        Assert.NotNull(web.Hooks.Prestop);
    }
}
