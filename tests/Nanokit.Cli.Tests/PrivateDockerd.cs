using System.Diagnostics;

namespace Nanokit.Cli.Tests;

/// <summary>
/// A second private dockerd (scripts/dockerd.sh with its own <c>NANOKIT_DOCKER_DIR</c>) that a test may stop and
/// start again: the shared test daemon serves other tests in parallel and must never restart. Disposing removes its
/// containers and stops it, whatever the test did. A daemon that cannot start fails the test.
/// </summary>
internal sealed class PrivateDockerd : IAsyncDisposable
{
    private readonly string directory;

    private PrivateDockerd(string directory)
    {
        this.directory = directory;
    }

    public string Host => $"unix://{directory}/docker.sock";

    public static async Task<PrivateDockerd> StartAsync(string directory)
    {
        var daemon = new PrivateDockerd(directory);
        try
        {
            await daemon.StartAgainAsync();
            return daemon;
        }
        catch
        {
            await daemon.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the daemon and waits until it answers; containers that ran before the stop stay exited.</summary>
    public Task StartAgainAsync() => ScriptAsync("start");

    /// <summary>Stops the daemon; its containers die with it.</summary>
    public Task StopAsync() => ScriptAsync("stop");

    /// <summary>Runs the docker CLI against this daemon and returns its output; a failing command fails the test.</summary>
    public async Task<string> DockerAsync(params string[] args)
    {
        var (exit, output, error) = await TestDocker.RunAsync(Host, args);
        Assert.True(exit == 0, $"docker {string.Join(' ', args)} exited with {exit}: {error}");
        return output;
    }

    /// <summary>The docker CLI against this daemon as a running process, for commands that stream (<c>docker events</c>).</summary>
    public Process StartDocker(params string[] args) => Process.Start(TestDocker.Command(Host, args))!;

    public async ValueTask DisposeAsync()
    {
        // Best effort: the daemon may be down already, and the stop below must run regardless.
        var containers = await TestDocker.RunAsync(Host, ["ps", "-aq"]);
        var ids = containers.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (containers.Exit == 0 && ids.Length > 0)
        {
            await TestDocker.RunAsync(Host, ["rm", "-f", .. ids]);
        }

        await StopAsync();
    }

    private async Task ScriptAsync(string command)
    {
        var start = new ProcessStartInfo("bash") { WorkingDirectory = Repository.Root };
        start.ArgumentList.Add(Repository.Script("dockerd.sh"));
        start.ArgumentList.Add(command);
        start.Environment["NANOKIT_DOCKER_DIR"] = directory;
        var (exit, _, error) = await ChildProcess.RunAsync(start);
        if (exit != 0)
        {
            throw new InvalidOperationException($"NANOKIT_DOCKER_DIR={directory} scripts/dockerd.sh {command} exited with {exit}: {error}");
        }
    }
}
