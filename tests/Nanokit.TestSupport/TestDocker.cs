using System.Diagnostics;

namespace Nanokit.TestSupport;

/// <summary>The private dockerd scripts/test.sh starts (<c>NANOKIT_TEST_DOCKER_HOST</c>), and the docker CLI run against a daemon.</summary>
public static class TestDocker
{
    public static readonly string Host =
        Environment.GetEnvironmentVariable("NANOKIT_TEST_DOCKER_HOST") is { Length: > 0 } host ? host : "unix:///tmp/nanokit-docker/docker.sock";

    /// <summary><c>docker -H <paramref name="host"/> args</c> run to its end; the caller says what a failure means.</summary>
    public static Task<(int Exit, string Output, string Error)> RunAsync(string host, IEnumerable<string> args) =>
        ChildProcess.RunAsync(Command(host, args));

    /// <summary>The docker CLI against <paramref name="host"/> as a process to start (for commands that stream, <c>docker events</c>).</summary>
    public static ProcessStartInfo Command(string host, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo("docker") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-H");
        start.ArgumentList.Add(host);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return start;
    }
}
