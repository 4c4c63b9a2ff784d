using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Nanokit.Cli.Tests;

/// <summary>
/// <c>exec</c>, <c>run --rm [-i]</c>, <c>stop [-t]</c>, <c>start</c>, <c>restart</c> and <c>down [-t] [--rmi]</c> on the Docker runtime, against the private
/// dockerd (<c>NANOKIT_TEST_DOCKER_HOST</c>); fails, never skips, when it is not there.
/// </summary>
public sealed class DockerForegroundCommandTests : IDisposable
{
    private readonly CliRun cli = new();
    private readonly string project = "dx" + Random.Shared.Next(10_000, 99_999);
    private readonly Dictionary<string, string> environment = new()
    {
        ["DOCKER_HOST"] = TestDocker.Host,
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
    public async Task Exec_and_run_on_docker_pass_the_commands_stdout_and_stderr_through_byte_for_byte_even_when_they_are_not_utf8()
    {
        await UpAsync();

        var exec = await cli.RunBytesAsync(environment, "exec", "-T", "web", "sh", "-c", BinaryOutput.Script);
        var run = await cli.RunBytesAsync(environment, "run", "--rm", "-T", "web", "sh", "-c", BinaryOutput.Script);
        var piped = await WithInputBytesAsync(BinaryOutput.Stdout, "run", "--rm", "-i", "web", "sh", "-c", "cat; " + BinaryOutput.Script);

        BinaryOutput.AssertPassedThrough(exec);
        BinaryOutput.AssertPassedThrough(run);
        Assert.Equal(BinaryOutput.ExitCode, piped.Exit);
        Assert.Equal([.. BinaryOutput.Stdout, .. BinaryOutput.Stdout], piped.Out);
        Assert.Equal(BinaryOutput.Stderr, piped.Error);
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
    public async Task Run_i_on_docker_passes_nkapps_input_to_the_one_off_container_and_its_exit_code_back()
    {
        await UpAsync();

        var run = await WithInputAsync("piped in\nand more\n", "run", "--rm", "-i", "web", "sh", "-c", "echo before; cat; exit 5");
        var containers = Docker($"ps -a --filter label=io.nanokit.project={project} --format '{{{{.Names}}}}'");

        Assert.True(run.Exit == 5, run.Out + run.Error);
        Assert.Equal("before\npiped in\nand more\n", run.Out);
        Assert.Equal([$"{project}-web-1", $"{project}-web-2"], containers.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order());
    }

    [Fact]
    public async Task Stop_t_and_down_t_on_docker_send_their_timeout_to_the_daemon_instead_of_the_stop_grace_period()
    {
        // sleep as PID 1 has no SIGTERM handler, so the kernel ignores SIGTERM: it ends only when the daemon kills it,
        // after the stop timeout. With the file's stop_grace_period (3m) either command would take 3 minutes.
        cli.Write("nanokit.yml", $"""
            name: {project}
            runtime: docker
            services:
              web:
                image: nanokit-test/busybox:1
                command: [sleep, "3600"]
                stop_grace_period: 3m
                network_mode: none
            """);
        Assert.Equal(0, (await cli.RunAsync(environment, "up")).Exit);

        var clock = Stopwatch.StartNew();
        var stop = await cli.RunAsync(environment, "stop", "-t", "1", "web");
        var stopTook = clock.Elapsed;
        var stopped = Docker($"inspect -f '{{{{.State.Status}}}} {{{{.State.ExitCode}}}}' {project}-web-1").Trim();
        Assert.Equal(0, (await cli.RunAsync(environment, "start")).Exit);
        clock.Restart();
        var down = await cli.RunAsync(environment, "down", "--timeout", "2s");
        var downTook = clock.Elapsed;
        var left = Docker($"ps -aq --filter label=io.nanokit.project={project}").Trim();

        Assert.True(stop.Exit == 0, stop.Out + stop.Error);
        Assert.Equal("exited 137", stopped);
        Assert.True(stopTook >= TimeSpan.FromSeconds(1) && stopTook < TimeSpan.FromSeconds(90), $"stop -t 1 took {stopTook}");
        Assert.True(down.Exit == 0, down.Out + down.Error);
        Assert.True(downTook >= TimeSpan.FromSeconds(2) && downTook < TimeSpan.FromSeconds(90), $"down --timeout 2s took {downTook}");
        Assert.Equal("", left);
    }

    [Fact]
    public async Task Down_rmi_local_removes_the_image_the_project_built_and_keeps_the_one_the_file_names()
    {
        var built = $"{project}-app";
        Directory.CreateDirectory(Path.Combine(cli.Directory, "app"));
        cli.Write("app/Dockerfile", "FROM nanokit-test/busybox:1\nRUN echo built > /built\nCMD [\"sleep\", \"3600\"]\n");
        cli.Write("nanokit.yml", $"""
            name: {project}
            runtime: docker
            services:
              app:
                build: ./app
                network_mode: none
              db:
                image: nanokit-test/busybox:1
                command: [sleep, "3600"]
                network_mode: none
            """);
        try
        {
            var up = await cli.RunAsync(environment, "up");
            Assert.True(up.Exit == 0, up.Out + up.Error);
            var before = Docker($"image inspect -f '{{{{.Id}}}}' {built}").Trim();

            var down = await cli.RunAsync(environment, "down", "--rmi", "local");
            var images = Docker("images --format '{{.Repository}}:{{.Tag}}'");

            Assert.StartsWith("sha256:", before);
            Assert.True(down.Exit == 0, down.Out + down.Error);
            Assert.Contains($"{project}: removed image {built}", down.Out);
            Assert.DoesNotContain(built, images);
            Assert.Contains("nanokit-test/busybox:1", images);
        }
        finally
        {
            Docker($"rmi -f {built}");
        }
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

    private async Task<(int Exit, string Out, string Error)> WithInputAsync(string input, params string[] args)
    {
        var (exit, output, error) = await WithInputBytesAsync(Encoding.UTF8.GetBytes(input), args);
        return (exit, Encoding.UTF8.GetString(output), Encoding.UTF8.GetString(error));
    }

    // stdin is the process's own: exec -i needs nkapp as a real child process (and so its real stdout and stderr).
    private async Task<(int Exit, byte[] Out, byte[] Error)> WithInputBytesAsync(byte[] input, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "nkapp.dll"), .. args])
        {
            WorkingDirectory = cli.Directory, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        start.Environment["DOCKER_HOST"] = environment["DOCKER_HOST"];
        using var nkapp = Process.Start(start)!;
        using var output = new MemoryStream();
        using var error = new MemoryStream();
        var reading = Task.WhenAll(nkapp.StandardOutput.BaseStream.CopyToAsync(output), nkapp.StandardError.BaseStream.CopyToAsync(error));
        await nkapp.StandardInput.BaseStream.WriteAsync(input);
        nkapp.StandardInput.Close();
        await nkapp.WaitForExitAsync();
        await reading;
        return (nkapp.ExitCode, output.ToArray(), error.ToArray());
    }

    private static List<string> States((int Exit, string Out, string Error) ps)
    {
        Assert.True(ps.Exit == 0, ps.Error);
        using var json = JsonDocument.Parse(ps.Out);
        return json.RootElement.EnumerateArray().Select(r => r.GetProperty("state").GetString()!).ToList();
    }
}
