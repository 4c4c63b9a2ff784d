using System.Diagnostics;
using System.Text.Json;

namespace Nanokit.Cli.Tests;

/// <summary>
/// <c>exec</c>, <c>run --rm</c>, <c>stop</c>, <c>start</c> and <c>restart</c> on the Docker runtime, against the private
/// dockerd (<c>NANOKIT_TEST_DOCKER_HOST</c>); fails, never skips, when it is not there.
/// </summary>
public sealed class DockerForegroundCommandTests : IDisposable
{
    private readonly CliRun cli = new();
    private readonly string project = "dx" + Random.Shared.Next(10_000, 99_999);
    private readonly Dictionary<string, string> environment = new()
    {
        ["DOCKER_HOST"] = Environment.GetEnvironmentVariable("NANOKIT_TEST_DOCKER_HOST") is { Length: > 0 } host ? host : "unix:///tmp/nanokit-docker/docker.sock",
    };

    public void Dispose()
    {
        Docker($"ps -aq --filter label=io.nanokit.project={project} | xargs -r docker -H {environment["DOCKER_HOST"]} rm -f");
        cli.Dispose();
    }

    private async Task UpAsync()
    {
        cli.Write("nanokit.yml", $"""
            name: {project}
            runtime: docker
            services:
              web:
                image: nanokit-test/busybox:1
                command: [sleep, "3600"]
                environment: {"{"}GREETING: hello{"}"}
                deploy: {"{"}replicas: 2{"}"}
                network_mode: none
            """);
        var up = await cli.RunAsync(environment, "up");
        Assert.True(up.Exit == 0, $"up on the private dockerd failed (is it running? scripts/dockerd.sh start): {up.Out}{up.Error}");
    }

    [Fact]
    public async Task Exec_on_docker_runs_in_the_chosen_replica_passes_its_exit_code_and_its_input_through()
    {
        await UpAsync();

        var (exit, output, error) = await cli.RunAsync(environment, "exec", "--index", "2", "web", "sh", "-c", "echo $GREETING from $(hostname); echo oops >&2; exit 3");
        var hostname = Docker($"inspect -f '{{{{.Config.Hostname}}}}' {project}-web-2").Trim();
        var input = await WithInputAsync("piped in\n", "exec", "-i", "-t", "web", "cat");

        Assert.True(exit == 3, output + error);
        Assert.Equal($"hello from {hostname}\n", output);
        Assert.Equal("oops\n", error);
        Assert.True(input.Exit == 0, input.Out + input.Error);
        Assert.Equal("piped in\n", input.Out);
    }

    [Fact]
    public async Task Run_rm_on_docker_runs_a_one_off_container_from_the_definition_and_removes_it()
    {
        await UpAsync();

        var (exit, output, error) = await cli.RunAsync(environment, "run", "--rm", "web", "sh", "-c", "echo one-off says $GREETING; echo to-stderr >&2; exit 4");
        var containers = Docker($"ps -a --filter label=io.nanokit.project={project} --format '{{{{.Names}}}}'");
        var replicas = States(await cli.RunAsync(environment, "ps", "-a", "--format", "json"));

        Assert.True(exit == 4, output + error);
        Assert.Equal("one-off says hello\n", output);
        Assert.Equal("to-stderr\n", error);
        Assert.Equal([$"{project}-web-1", $"{project}-web-2"], containers.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order());
        Assert.Equal(["running", "running"], replicas);
    }

    [Fact]
    public async Task Stop_start_and_restart_on_docker_keep_the_containers_and_exec_says_a_stopped_replica_is_stopped()
    {
        await UpAsync();
        var id = Docker($"inspect -f '{{{{.Id}}}}' {project}-web-1").Trim();

        var stop = await cli.RunAsync(environment, "stop", "web");
        var stopped = States(await cli.RunAsync(environment, "ps", "-a", "--format", "json"));
        var exec = await cli.RunAsync(environment, "exec", "web", "true");
        var start = await cli.RunAsync(environment, "start");
        var started = States(await cli.RunAsync(environment, "ps", "-a", "--format", "json"));
        var before = Docker($"inspect -f '{{{{.State.StartedAt}}}}' {project}-web-1").Trim();
        var restart = await cli.RunAsync(environment, "restart", "web");
        var after = Docker($"inspect -f '{{{{.State.StartedAt}}}} {{{{.Id}}}}' {project}-web-1").Trim();

        Assert.True(stop.Exit == 0, stop.Out + stop.Error);
        Assert.Equal(["stopped", "stopped"], stopped);
        Assert.Equal(1, exec.Exit);
        Assert.Contains("not running (exited); start it with `nkapp start web`", exec.Error);
        Assert.True(start.Exit == 0, start.Out + start.Error);
        Assert.Equal(["running", "running"], started);
        Assert.True(restart.Exit == 0, restart.Out + restart.Error);
        Assert.NotEqual(before, after.Split(' ')[0]);
        Assert.Equal(id, after.Split(' ')[1]);
    }

    [Fact]
    public async Task Top_on_docker_lists_each_running_replicas_processes_under_its_name()
    {
        await UpAsync();

        var (exit, output, error) = await cli.RunAsync(environment, "top");

        Assert.True(exit == 0, output + error);
        var blocks = output.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal([$"{project}-web-1", $"{project}-web-2"], blocks.Select(b => b.Split('\n')[0]));
        Assert.All(blocks, b => Assert.Contains("PID", b.Split('\n')[1]));
        Assert.All(blocks, b => Assert.EndsWith("sleep 3600", b.Split('\n')[2]));
    }

    [Fact]
    public async Task Down_v_removes_the_projects_named_volumes_but_not_a_volume_it_did_not_create_and_rmi_local_keeps_an_image_the_file_names()
    {
        var foreign = project + "-foreign";
        Docker($"volume create {foreign}");
        try
        {
            cli.Write("nanokit.yml", $"""
                name: {project}
                runtime: docker
                services:
                  db:
                    image: nanokit-test/busybox:1
                    command: [sleep, "3600"]
                    volumes: [data:/data]
                    network_mode: none
                volumes:
                  data: {"{"}{"}"}
                """);
            Assert.Equal(0, (await cli.RunAsync(environment, "up")).Exit);
            var created = Docker($"volume ls -q --filter label=io.nanokit.project={project}").Trim();

            var keep = await cli.RunAsync(environment, "down");
            var kept = Docker($"volume ls -q --filter name={project}").Split('\n', StringSplitOptions.RemoveEmptyEntries).Order().ToList();
            Assert.Equal(0, (await cli.RunAsync(environment, "up")).Exit);
            var down = await cli.RunAsync(environment, "down", "-v", "--rmi", "local");
            var left = Docker($"volume ls -q --filter name={project}").Trim();
            var images = Docker("images --format '{{.Repository}}:{{.Tag}}'");

            Assert.Equal($"{project}_data", created);
            Assert.True(keep.Exit == 0, keep.Out + keep.Error);
            Assert.Equal([foreign, $"{project}_data"], kept);
            Assert.True(down.Exit == 0, down.Out + down.Error);
            Assert.Contains($"{project}: removed volume {project}_data", down.Out);
            Assert.Equal(foreign, left);
            Assert.Contains("nanokit-test/busybox:1", images);
        }
        finally
        {
            Docker($"volume rm -f {foreign} {project}_data");
        }
    }

    private string Docker(string arguments)
    {
        using var docker = Process.Start(new ProcessStartInfo("sh", ["-c", $"docker -H {environment["DOCKER_HOST"]} {arguments}"]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = docker.StandardOutput.ReadToEnd();
        docker.WaitForExit();
        return output;
    }

    // stdin is the process's own: exec -i needs nkapp as a real child process.
    private async Task<(int Exit, string Out, string Error)> WithInputAsync(string input, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "nkapp.dll"), .. args])
        {
            WorkingDirectory = cli.Directory, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        start.Environment["DOCKER_HOST"] = environment["DOCKER_HOST"];
        using var nkapp = Process.Start(start)!;
        var output = nkapp.StandardOutput.ReadToEndAsync();
        var error = nkapp.StandardError.ReadToEndAsync();
        await nkapp.StandardInput.WriteAsync(input);
        nkapp.StandardInput.Close();
        await nkapp.WaitForExitAsync();
        return (nkapp.ExitCode, await output, await error);
    }

    private static List<string> States((int Exit, string Out, string Error) ps)
    {
        Assert.True(ps.Exit == 0, ps.Error);
        using var json = JsonDocument.Parse(ps.Out);
        return json.RootElement.EnumerateArray().Select(r => r.GetProperty("state").GetString()!).ToList();
    }
}
