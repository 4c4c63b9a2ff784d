using System.Collections.Immutable;
using Nanokit.Core.Config;
using Nanokit.Core.Model;
using Nanokit.Runtime;

namespace Nanokit.Providers.Docker.Tests;

/// <summary>Compose's post_start and pre_stop on the real daemon: what runs, where, as whom, and what a failing hook does.</summary>
public sealed class DockerLifecycleHookTests
{
    // Compose interpolates the file: a shell's $ is written $$.
    private const string Loop = "[sh, -c, \"trap 'exit 0' TERM; while :; do sleep 0.2; done\"]";

    private static ServiceSpec Compose(DockerProject p, string yaml) =>
        ProjectLoader.Parse([(Path.Combine(p.Project.Directory, "compose.yml"), yaml)], new ProjectLoadOptions([], p.Project.Directory, null, [], new Dictionary<string, string>()))
            .Services["web"];

    private static async Task<string> ReadInAsync(string container, string path) =>
        (await DockerProject.DockerCliAsync("exec", container, "cat", path)).Trim();

    [Fact]
    public async Task Post_start_runs_in_the_replica_in_order_with_its_user_directory_and_environment()
    {
        await using var p = await DockerProject.StartAsync();
        var web = Compose(p, $$"""
            services:
              web:
                image: {{DockerProject.Image1}}
                command: {{Loop}}
                pull_policy: never
                environment: {BASE: base}
                post_start:
                  - command: [sh, -c, "mkdir -p /srv && chmod 777 /srv"]
                  - command: [sh, -c, 'echo "$$(id -u) $$(pwd) $$GREETING $$BASE" > who']
                    user: "1000"
                    working_dir: /srv
                    environment: [GREETING=hi]
            """);

        var created = await p.Runtime.CreateAsync(p.Replica(web), DockerProject.Timeout());

        Assert.Equal(ReplicaState.Running, created.State);
        Assert.Equal("1000 /srv hi base", await ReadInAsync(created.Id!, "/srv/who"));
    }

    // This daemon cannot apply a privileged exec's capabilities ("unable to apply caps"), so privileged is checked on the request.
    [Fact]
    public void A_hooks_exec_carries_its_privileges_user_directory_and_own_environment_only()
    {
        var hook = new LifecycleHook(["./drain"], "root", true, "/srv", ImmutableSortedDictionary<string, string?>.Empty.Add("MODE", "stop"));
        var exec = ContainerDefinition.ForLifecycleHook(DockerProject.Service("web") with { Environment = ImmutableSortedDictionary<string, string?>.Empty.Add("BASE", "b") }, hook);

        Assert.Equal((true, "root", "/srv"), (exec.Privileged, exec.User, exec.WorkingDir));
        Assert.Equal(["./drain"], exec.Cmd);
        Assert.Equal(["MODE=stop"], exec.Env);
        Assert.False(ContainerDefinition.ForLifecycleHook(DockerProject.Service("web"), hook with { Privileged = false }).Privileged);
    }

    [Fact]
    public async Task A_failing_post_start_fails_the_create_naming_the_hook_and_its_status_and_leaves_no_replica_running()
    {
        await using var p = await DockerProject.StartAsync();
        var web = Compose(p, $$"""
            services:
              web:
                image: {{DockerProject.Image1}}
                command: {{Loop}}
                pull_policy: never
                post_start:
                  - command: [sh, -c, "echo cannot register >&2; exit 3"]
            """);

        var failure = await Assert.ThrowsAsync<RuntimeException>(() => p.Runtime.CreateAsync(p.Replica(web), DockerProject.Timeout()));
        Assert.Contains("post_start hook \"sh -c echo cannot register >&2; exit 3\" exited with status 3: cannot register", failure.Message);
        Assert.Equal(ReplicaState.Exited, Assert.Single((await p.Runtime.ObserveAsync(p.Project, DockerProject.Timeout())).Replicas).State);

        // The step's retry does not take the stopped replica as converged: it runs the hook again, and fails again.
        await Assert.ThrowsAsync<RuntimeException>(() => p.Runtime.CreateAsync(p.Replica(web), DockerProject.Timeout()));
    }

    [Fact]
    public async Task Pre_stop_runs_in_the_running_replica_before_a_recreate_and_before_a_delete()
    {
        await using var p = await DockerProject.StartAsync();
        var output = Path.Combine(p.Project.Directory, "out");
        Directory.CreateDirectory(output);
        var web = Compose(p, $$"""
            services:
              web:
                image: {{DockerProject.Image1}}
                command: {{Loop}}
                pull_policy: never
                user: "0"
                volumes: ["./out:/out"]
                environment: {VERSION: one}
                pre_stop:
                  - command: [sh, -c, 'echo "stopping $$VERSION $$PHASE" >> /out/log']
                    environment: {PHASE: drain}
            """);

        await p.Runtime.CreateAsync(p.Replica(web), DockerProject.Timeout());
        Assert.False(File.Exists(Path.Combine(output, "log")));
        await p.Runtime.CreateAsync(p.Replica(web with { Environment = web.Environment.SetItem("VERSION", "two") }, hash: "h2"), DockerProject.Timeout());
        Assert.Equal(["stopping one drain"], await File.ReadAllLinesAsync(Path.Combine(output, "log")));
        await p.Runtime.DeleteAsync(p.Id("web"), null, DockerProject.Timeout());

        Assert.Equal(["stopping one drain", "stopping two drain"], await File.ReadAllLinesAsync(Path.Combine(output, "log")));
        Assert.Empty((await p.Runtime.ObserveAsync(p.Project, DockerProject.Timeout())).Replicas);
    }

    [Fact]
    public async Task Pre_stop_does_not_run_for_a_replica_that_exited_by_itself()
    {
        await using var p = await DockerProject.StartAsync();
        var output = Path.Combine(p.Project.Directory, "out");
        Directory.CreateDirectory(output);
        var web = Compose(p, $$"""
            services:
              web:
                image: {{DockerProject.Image1}}
                command: [sh, -c, "exit 0"]
                pull_policy: never
                volumes: ["./out:/out"]
                pre_stop:
                  - command: [sh, -c, "touch /out/ran"]
            """);

        await p.Runtime.CreateAsync(p.Replica(web), DockerProject.Timeout());
        Assert.Equal(0, await p.Runtime.WaitForCompletionAsync(p.Id("web"), DockerProject.Timeout()));
        await p.Runtime.DeleteAsync(p.Id("web"), null, DockerProject.Timeout());

        Assert.False(File.Exists(Path.Combine(output, "ran")));
    }
}
