using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using Nanokit.Cli;
using Nanokit.Server.Api.V1;

namespace Nanokit.Server.Tests;

/// <summary>
/// <c>nkapp --server URL ps</c>, <c>exec</c> and <c>run</c> (and ExecService, RunService over gRPC) against the shared three-node cluster on the private dockerd, driven
/// through nkapp and gRPC only; what runs is checked on the daemon.
/// </summary>
[Collection(PrivateClusterCollection.Name)]
public sealed class RemoteForegroundTests(PrivateCluster cluster) : IDisposable
{
    private static readonly TimeSpan Converge = TimeSpan.FromSeconds(120);

    private readonly string directory = Directory.CreateTempSubdirectory("nanokit-remote-foreground-").FullName;

    [Fact]
    public Task Ps_over_the_server_lists_the_owners_replicas_with_embedded_ps_columns_all_and_json() => cluster.ExplainedAsync(async () =>
    {
        var name = $"{cluster.Prefix}-ps";
        var nodes = cluster.Live;
        File.WriteAllText(Path.Combine(directory, "nanokit.yml"), PrivateDocker.Project(name));
        string[] read = ["--server", nodes[2].Url, "--token", TestFiles.ReadToken];
        string[] write = ["--server", nodes[0].Url, "--token", TestFiles.WriteToken];

        var never = await NkappAsync(["ps", .. read]);
        Assert.Equal(1, never.Exit);
        Assert.Contains("NotFound", never.Error);

        var up = await NkappAsync(["up", "--timeout", "120s", .. write]);
        Assert.True(up.Exit == 0, up.Out + up.Error);
        await Eventually.Async(TimeSpan.FromSeconds(10), async () =>
        {
            var ps = await NkappAsync(["ps", .. read]);
            Assert.True(ps.Exit == 0, ps.Error);
            var lines = ps.Out.TrimEnd().Split('\n');
            Assert.Matches(@"^NAME +SERVICE +STATE +HEALTH +PORTS$", lines[0]);
            Assert.Equal(
                [$"{name}-api-1 api running", $"{name}-db-1 db running"],
                lines[1..].Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries))));
        });

        // A stopped service is gone from ps, and ps -a shows it as embedded ps does: "stopped".
        var stop = await NkappAsync(["stop", "api", .. write]);
        Assert.True(stop.Exit == 0, stop.Out + stop.Error);
        await Eventually.Async(TimeSpan.FromSeconds(10), async () =>
        {
            var ps = await NkappAsync(["ps", .. read]);
            Assert.True(ps.Exit == 0, ps.Error);
            Assert.DoesNotContain($"{name}-api-1", ps.Out);
            Assert.Contains($"{name}-db-1", ps.Out);

            var all = await NkappAsync(["ps", "-a", "--format", "json", .. read]);
            Assert.True(all.Exit == 0, all.Error);
            using var json = JsonDocument.Parse(all.Out);
            var rows = json.RootElement.EnumerateArray().Select(r => (r.GetProperty("name").GetString(), r.GetProperty("service").GetString(), r.GetProperty("state").GetString(), r.GetProperty("health").GetString(), r.GetProperty("ports").GetString())).ToList();
            Assert.Equal([($"{name}-api-1", "api", "stopped", "", ""), ($"{name}-db-1", "db", "running", "", "")], rows);
        });

        var only = await NkappAsync(["ps", "-a", "db", .. read]);
        Assert.True(only.Exit == 0, only.Error);
        Assert.Contains($"{name}-db-1", only.Out);
        Assert.DoesNotContain("api", only.Out);

        var down = await NkappAsync(["down", .. write]);
        Assert.True(down.Exit == 0, down.Out + down.Error);
        Assert.Empty(await PrivateDocker.RunningAsync(name));
    });

    [Fact]
    public Task Exec_over_a_node_that_does_not_own_the_project_runs_in_the_owners_replica_with_its_output_exit_code_and_stdin() => cluster.ExplainedAsync(async () =>
    {
        var name = $"{cluster.Prefix}-exec";
        var (owner, other) = await DeployAsync(name);
        // exec's own options go before SERVICE (what follows it is the command's), as Compose reads them.
        string[] write = ["--server", other.Url, "--token", TestFiles.WriteToken];

        // The replica's own environment, and the command's stdout, stderr and exit code as nkapp's.
        var env = await NkappAsync(["exec", .. write, "api", "sh", "-c", "echo $VERSION"]);
        Assert.True(env.Exit == 0, $"exit {env.Exit}: {env.Out}{env.Error}");
        Assert.Equal("1\n", env.Out);
        var exit = await NkappAsync(["exec", "--index", "1", .. write, "api", "sh", "-c", "echo to-out; echo to-err >&2; exit 3"]);
        Assert.Equal(3, exit.Exit);
        Assert.Equal("to-out\n", exit.Out);
        Assert.Equal("to-err\n", exit.Error);

        // -i: nkapp's stdin, its end the command's; 5 MiB, more than one message may carry, reach it whole in pieces.
        var piped = await NkappAsync(["exec", "-i", .. write, "db", "cat"], new MemoryStream(Encoding.UTF8.GetBytes("first line\nsecond line\n")));
        Assert.True(piped.Exit == 0, piped.Error);
        Assert.Equal("first line\nsecond line\n", piped.Out);
        var lines = 5 * 1024 * 1024 / 8;
        var large = await NkappAsync(["exec", "-i", .. write, "db", "grep", "-c", "abcdefg"], new MemoryStream(Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("abcdefg\n", lines)))));
        Assert.True(large.Exit == 0, large.Error);
        Assert.Equal(lines.ToString(System.Globalization.CultureInfo.InvariantCulture), large.Out.Trim());

        // Refusals: one line, exit 1, nothing run.
        var tty = await NkappAsync(["exec", "-t", .. write, "api", "true"]);
        Assert.Equal(1, tty.Exit);
        Assert.Equal("nkapp exec: -t/--tty is not available with --server (the API carries no pseudo-terminal); nothing was done\n", tty.Error);
        var read = await NkappAsync(["exec", "--server", owner.Url, "--token", TestFiles.ReadToken, "api", "true"]);
        Assert.Equal(1, read.Exit);
        Assert.Contains("PermissionDenied", read.Error);
        Assert.Contains("needs the write role", read.Error);
        var service = await NkappAsync(["exec", .. write, "nowhere", "true"]);
        Assert.Equal(1, service.Exit);
        Assert.Contains("NotFound: no such service: nowhere", service.Error);
        var replica = await NkappAsync(["exec", "--index", "2", .. write, "api", "true"]);
        Assert.Equal(1, replica.Exit);
        Assert.Contains("NotFound: no replica 2 of service api", replica.Error);

        await DownAsync(name, other);
    });

    [Fact]
    public Task Exec_and_run_over_a_node_that_does_not_own_the_project_pass_the_commands_output_through_byte_for_byte() => cluster.ExplainedAsync(async () =>
    {
        var name = $"{cluster.Prefix}-exec-bytes";
        var (_, other) = await DeployAsync(name);
        string[] write = ["--server", other.Url, "--token", TestFiles.WriteToken];

        // Every byte value and bytes that are not UTF-8, on both streams, through the owner's runtime, its ExecResponse and the relay.
        var exec = await NkappBytesAsync(["exec", "-T", .. write, "db", "sh", "-c", BinaryOutput.Script]);
        var run = await NkappBytesAsync(["run", "--rm", .. write, "db", "sh", "-c", BinaryOutput.Script]);

        BinaryOutput.AssertPassedThrough(exec);
        BinaryOutput.AssertPassedThrough(run);
        Assert.Empty(await OneOffsAsync(name));

        await DownAsync(name, other);
    });

    [Fact]
    public Task Exec_over_gRPC_refuses_hostile_streams_and_a_cancelled_call_stops_the_command_in_the_container() => cluster.ExplainedAsync(async () =>
    {
        var name = $"{cluster.Prefix}-exec-grpc";
        var (owner, other) = await DeployAsync(name);
        var write = TestFiles.As(TestFiles.WriteToken);

        foreach (var node in new[] { owner, other })
        {
            // A stdin message over the server's request limit (4 MiB) ends the call, and the command with it.
            using var oversized = new Projects.ProjectsClient(node.Channel).ExecService(write);
            await oversized.RequestStream.WriteAsync(Start(name, "db", true, "cat"));
            try
            {
                await oversized.RequestStream.WriteAsync(new ExecRequest { Stdin = ByteString.CopyFrom(new byte[5 * 1024 * 1024]) });
            }
            catch (RpcException)
            {
                // The server may end the call before the whole message is sent; the status says why.
            }

            var refused = await Assert.ThrowsAsync<RpcException>(() => oversized.ResponseStream.MoveNext());
            Assert.True(refused.StatusCode == StatusCode.ResourceExhausted, refused.ToString());

            // The first message must say what to run.
            using var headless = new Projects.ProjectsClient(node.Channel).ExecService(write);
            await headless.RequestStream.WriteAsync(new ExecRequest { Stdin = ByteString.CopyFromUtf8("x") });
            var invalid = await Assert.ThrowsAsync<RpcException>(() => headless.ResponseStream.MoveNext());
            Assert.Equal(StatusCode.InvalidArgument, invalid.StatusCode);

            using var unknown = new Projects.ProjectsClient(node.Channel).ExecService(write);
            await unknown.RequestStream.WriteAsync(new ExecRequest { Start = new ExecStart { Project = $"{name}-never", Service = "db", Command = { "true" } } });
            Assert.Equal(StatusCode.NotFound, (await Assert.ThrowsAsync<RpcException>(() => unknown.ResponseStream.MoveNext())).StatusCode);
        }

        // A command that ends without reading its stdin ends the call, though the caller never closed it.
        using (var open = new Projects.ProjectsClient(other.Channel).ExecService(write, DateTime.UtcNow.AddSeconds(30)))
        {
            await open.RequestStream.WriteAsync(Start(name, "db", true, "sh", "-c", "exit 4"));
            await open.RequestStream.WriteAsync(new ExecRequest { Stdin = ByteString.CopyFromUtf8("unread\n") });
            var answers = new List<ExecResponse>();
            await foreach (var answer in open.ResponseStream.ReadAllAsync())
            {
                answers.Add(answer);
            }

            Assert.Equal([4], answers.Where(a => a.MessageCase == ExecResponse.MessageOneofCase.ExitCode).Select(a => a.ExitCode));
        }

        // A caller that goes away stops its command: the process is gone from the container.
        using (var cancel = new CancellationTokenSource())
        {
            using var call = new Projects.ProjectsClient(other.Channel).ExecService(write, cancellationToken: cancel.Token);
            await call.RequestStream.WriteAsync(Start(name, "db", false, "sh", "-c", "echo started; exec sleep 611"));
            await call.RequestStream.CompleteAsync();
            Assert.True(await call.ResponseStream.MoveNext());
            Assert.Equal("started\n", call.ResponseStream.Current.Stdout.ToStringUtf8());
            Assert.Contains("sleep 611", await ProcessesAsync($"{name}-db-1"));
            await cancel.CancelAsync();
        }

        await Eventually.Async(TimeSpan.FromSeconds(15), async () => Assert.DoesNotContain("sleep 611", await ProcessesAsync($"{name}-db-1")));
        await DownAsync(name, other);
    });

    [Fact]
    public Task Run_over_a_node_that_does_not_own_the_project_runs_a_one_off_on_the_owners_runtime_and_removes_it() => cluster.ExplainedAsync(async () =>
    {
        var name = $"{cluster.Prefix}-run";
        var (owner, other) = await DeployAsync(name);
        string[] write = ["--server", other.Url, "--token", TestFiles.WriteToken];

        // The service's definition (its environment), the given command, its output and exit code as nkapp's.
        var once = await NkappAsync(["run", "--rm", .. write, "api", "sh", "-c", "echo version $VERSION; echo oops >&2; exit 6"]);
        Assert.Equal(6, once.Exit);
        Assert.Equal("version 1\n", once.Out);
        Assert.Equal("oops\n", once.Error);
        var piped = await NkappAsync(["run", "-i", .. write, "db", "cat"], new MemoryStream(Encoding.UTF8.GetBytes("to the one-off\n")));
        Assert.True(piped.Exit == 0, piped.Error);
        Assert.Equal("to the one-off\n", piped.Out);
        Assert.Empty(await OneOffsAsync(name));

        var read = await NkappAsync(["run", "--server", owner.Url, "--token", TestFiles.ReadToken, "api", "true"]);
        Assert.Equal(1, read.Exit);
        Assert.Contains("PermissionDenied", read.Error);
        var service = await NkappAsync(["run", .. write, "nowhere"]);
        Assert.Equal(1, service.Exit);
        Assert.Contains("NotFound: no such service: nowhere", service.Error);
        var tty = await NkappAsync(["run", "-t", .. write, "api", "true"]);
        Assert.Equal(1, tty.Exit);
        Assert.Equal("nkapp run: -t/--tty is not available with --server (the API carries no pseudo-terminal); nothing was done\n", tty.Error);

        // The start checks exec and run share, each refusal as the caller reads it.
        var projects = new Projects.ProjectsClient(other.Channel);
        Assert.Equal("the first message of a run must be a RunStart", await RefusedAsync(projects.RunService(TestFiles.As(TestFiles.WriteToken)), Start(name, "db", false, "true")));
        Assert.Equal("the first message of an exec must be an ExecStart", await RefusedAsync(projects.ExecService(TestFiles.As(TestFiles.WriteToken)), new ExecRequest { Run = new RunStart { Project = name, Service = "db" } }));
        Assert.Equal("command: the program to run is empty", await RefusedAsync(projects.RunService(TestFiles.As(TestFiles.WriteToken)), new ExecRequest { Run = new RunStart { Project = name, Service = "db", Command = { "" } } }));
        Assert.Equal("command is required", await RefusedAsync(projects.ExecService(TestFiles.As(TestFiles.WriteToken)), Start(name, "db", false)));
        Assert.Equal("project is required", await RefusedAsync(projects.RunService(TestFiles.As(TestFiles.WriteToken)), new ExecRequest { Run = new RunStart { Service = "db", Command = { "" } } }));

        // A caller that goes away stops the one-off, and it is removed.
        using (var cancel = new CancellationTokenSource())
        {
            using var call = new Projects.ProjectsClient(other.Channel).RunService(TestFiles.As(TestFiles.WriteToken), cancellationToken: cancel.Token);
            await call.RequestStream.WriteAsync(new ExecRequest { Run = new RunStart { Project = name, Service = "db", Command = { "sh", "-c", "echo started; exec sleep 612" } } });
            await call.RequestStream.CompleteAsync();
            Assert.True(await call.ResponseStream.MoveNext());
            Assert.Equal("started\n", call.ResponseStream.Current.Stdout.ToStringUtf8());
            Assert.Single(await OneOffsAsync(name));
            await cancel.CancelAsync();
        }

        await Eventually.Async(TimeSpan.FromSeconds(15), async () => Assert.Empty(await OneOffsAsync(name)));
        await DownAsync(name, other);
    });

    public void Dispose() => Directory.Delete(directory, recursive: true);

    /// <summary>The project's one-off containers on the daemon, running or not.</summary>
    private static async Task<string[]> OneOffsAsync(string project)
    {
        var (exit, output, errors) = await TestDocker.RunAsync(TestDocker.Host, ["ps", "-a", "--filter", $"label=io.nanokit.project={project}", "--filter", "label=io.nanokit.oneoff", "--format", "{{.Names}}"]);
        Assert.True(exit == 0, errors);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>Sends <paramref name="first"/> on an exec or run call and returns the INVALID_ARGUMENT it is refused with.</summary>
    private static async Task<string> RefusedAsync(AsyncDuplexStreamingCall<ExecRequest, ExecResponse> call, ExecRequest first)
    {
        using (call)
        {
            await call.RequestStream.WriteAsync(first);
            var refused = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext());
            Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
            return refused.Status.Detail;
        }
    }

    private static ExecRequest Start(string project, string service, bool stdin, params string[] command) =>
        new() { Start = new ExecStart { Project = project, Service = service, Stdin = stdin, Command = { command } } };

    /// <summary>Applies the two-service project through one node and waits until it converged; its owner and another node.</summary>
    private async Task<(ServerNode Owner, ServerNode Other)> DeployAsync(string name)
    {
        var nodes = cluster.Live;
        var accepted = await new Projects.ProjectsClient(nodes[0].Channel).ApplyProjectAsync(TestFiles.Apply(PrivateDocker.Project(name)), TestFiles.As(TestFiles.WriteToken));
        var converged = await TestFiles.ConvergedAsync(nodes[0], name, accepted.Generation, Converge);
        File.WriteAllText(Path.Combine(directory, "nanokit.yml"), PrivateDocker.Project(name));
        return (nodes.Single(n => n.ClusterAddress == converged.Owner), nodes.First(n => n.ClusterAddress != converged.Owner));
    }

    private static async Task DownAsync(string name, ServerNode node)
    {
        var deleted = await new Projects.ProjectsClient(node.Channel).DeleteProjectAsync(new DeleteProjectRequest { Project = name }, TestFiles.As(TestFiles.WriteToken));
        await TestFiles.ConvergedAsync(node, name, deleted.Generation, Converge);
        Assert.Empty(await PrivateDocker.RunningAsync(name));
    }

    /// <summary>The processes in a container, as the daemon's exec of ps lists them (an operator's look, not nkapp's).</summary>
    private static async Task<string> ProcessesAsync(string container)
    {
        var (exit, output, errors) = await TestDocker.RunAsync(TestDocker.Host, ["exec", container, "ps"]);
        Assert.True(exit == 0, errors);
        return output;
    }

    private async Task<(int Exit, string Out, string Error)> NkappAsync(string[] args, Stream? input = null)
    {
        var (exit, stdout, stderr) = await NkappBytesAsync(args, input);
        return (exit, Encoding.UTF8.GetString(stdout), Encoding.UTF8.GetString(stderr));
    }

    /// <summary>nkapp in-process; what it wrote to stdout and stderr as a redirect receives it: its own text and a command's bytes in one stream each.</summary>
    private async Task<(int Exit, byte[] Out, byte[] Error)> NkappBytesAsync(string[] args, Stream? input = null)
    {
        using var stdout = new MemoryStream();
        using var stderr = new MemoryStream();
        using var outText = new StreamWriter(stdout, new UTF8Encoding(false), leaveOpen: true) { AutoFlush = true };
        using var errorText = new StreamWriter(stderr, new UTF8Encoding(false), leaveOpen: true) { AutoFlush = true };
        var context = new CliContext(TextWriter.Synchronized(outText), TextWriter.Synchronized(errorText), directory, new Dictionary<string, string>())
        {
            Input = input, OutStream = stdout, ErrorStream = stderr,
        };
        var exit = await Nkapp.RunAsync(args, context);
        return (exit, stdout.ToArray(), stderr.ToArray());
    }
}
