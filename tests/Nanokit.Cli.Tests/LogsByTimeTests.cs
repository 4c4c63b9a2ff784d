using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Nanokit.Cli.Tests;

/// <summary>
/// <c>logs -t/--timestamps</c> and <c>logs --since</c>: on the Docker runtime against the private dockerd
/// (<c>NANOKIT_TEST_DOCKER_HOST</c>; fails, never skips, when it is not there), and on the local runtime, whose log pump keeps each line's time.
/// </summary>
public sealed class LogsByTimeTests : IDisposable
{
    private readonly CliRun cli = new();
    private readonly string project = "lt" + Random.Shared.Next(10_000, 99_999);
    private readonly Dictionary<string, string> environment = new()
    {
        ["DOCKER_HOST"] = TestDocker.Host,
    };

    public void Dispose()
    {
        Docker($"ps -aq --filter label=io.nanokit.project={project} | xargs -r docker -H {environment["DOCKER_HOST"]} rm -f");
        cli.Dispose();
    }

    [Theory]
    [InlineData("10x")]
    [InlineData("yesterday")]
    [InlineData("2026-13-01T00:00:00Z")]
    [InlineData("2026-01-01T00:00:00")]
    public async Task Logs_since_a_value_that_is_neither_a_duration_nor_an_rfc3339_timestamp_is_one_error_line_naming_the_flag(string value)
    {
        cli.Write("nanokit.yml", "name: local\nservices:\n  web:\n    command: [sleep, \"1\"]\n");

        var (exit, output, error) = await cli.RunAsync("logs", "--since", value);

        Assert.NotEqual(0, exit);
        Assert.Equal("", output);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"nkapp: --since: '{value}' is neither a duration (10m, 1m30s) nor an RFC 3339 timestamp (2026-01-02T15:04:05Z)", error);
    }

    [Fact]
    public async Task Logs_on_the_local_runtime_prefix_each_line_and_hook_line_with_its_time_and_since_keeps_the_lines_from_then_on()
    {
        var marker = Random.Shared.Next(10_000, 99_999).ToString(System.Globalization.CultureInfo.InvariantCulture);
        cli.Write("nanokit.yml", $$"""
            name: {{project}}
            services:
              web:
                command: [sh, -c, "echo first; sleep 1; echo second; exec sleep {{marker}}"]
                hooks:
                  prestart: [sh, -c, "echo migrating"]
            """);
        try
        {
            var up = await cli.RunAsync("up");
            Assert.True(up.Exit == 0, up.Out + up.Error);
            await UntilAsync(async () => (await cli.RunAsync("logs", "web")).Out.Contains("second", StringComparison.Ordinal));

            var stamped = await cli.RunAsync("logs", "-t", "web");
            var spelled = await cli.RunAsync("logs", "--timestamps", "web");
            var lines = stamped.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var times = lines.Select(l => Regex.Match(l, @"^web-(1|prestart) +\| (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z) (migrating|first|second)$")).ToList();
            Assert.True(stamped.Exit == 0, stamped.Error);
            Assert.True(times.Count == 3 && times.All(m => m.Success), stamped.Out);
            // As below: the hook's lines and the replica's come from two readers, in no fixed order between them.
            Assert.Equal(Sorted(stamped.Out), Sorted(spelled.Out));
            var second = times.Single(m => m.Groups[3].Value == "second").Groups[2].Value;
            var first = times.Single(m => m.Groups[3].Value == "first").Groups[2].Value;
            Assert.True(DateTimeOffset.Parse(second, System.Globalization.CultureInfo.InvariantCulture) - DateTimeOffset.Parse(first, System.Globalization.CultureInfo.InvariantCulture) >= TimeSpan.FromSeconds(0.9), stamped.Out);

            var fromSecond = await cli.RunAsync("logs", "--since", second, "web");
            var lastMinute = await cli.RunAsync("logs", "--since", "1m", "web");
            var fromNow = await cli.RunAsync("logs", "--since", "0s", "web");
            var plain = await cli.RunAsync("logs", "web");

            Assert.Equal((0, "web-1        | second\n"), (fromSecond.Exit, fromSecond.Out));
            // The hook's reader and the replica's run side by side: their lines interleave in no fixed order.
            Assert.Equal((0, "web-1        | first\nweb-1        | second\nweb-prestart | migrating"), (lastMinute.Exit, Sorted(lastMinute.Out)));
            Assert.Equal((0, ""), (fromNow.Exit, fromNow.Out));
            Assert.Equal(Sorted(lastMinute.Out), Sorted(plain.Out));
        }
        finally
        {
            await cli.RunAsync("down", "-t", "1s");
        }
    }

    [Fact]
    public async Task Logs_on_docker_prefix_each_line_with_its_time_and_since_keeps_the_lines_from_then_on()
    {
        cli.Write("nanokit.yml", $"""
            name: {project}
            runtime: docker
            services:
              web:
                image: nanokit-test/busybox:1
                command: [sh, -c, "echo first; sleep 1; echo second; exec sleep 3600"]
                network_mode: none
            """);
        var up = await cli.RunAsync(environment, "up");
        Assert.True(up.Exit == 0, $"up on the private dockerd failed (is it running? scripts/dockerd.sh start): {up.Out}{up.Error}");
        await UntilAsync(async () => (await cli.RunAsync(environment, "logs", "web")).Out.Contains("second", StringComparison.Ordinal));

        var stamped = await cli.RunAsync(environment, "logs", "-t", "web");
        var lines = stamped.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var times = lines.Select(l => Regex.Match(l, @"^web-1 \| (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z) (first|second)$")).ToList();
        Assert.True(stamped.Exit == 0, stamped.Error);
        Assert.True(times.Count == 2 && times.All(m => m.Success), stamped.Out);
        var second = times[1].Groups[1].Value;
        Assert.True(DateTimeOffset.Parse(second, System.Globalization.CultureInfo.InvariantCulture) - DateTimeOffset.Parse(times[0].Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= TimeSpan.FromSeconds(0.9), stamped.Out);

        var fromSecond = await cli.RunAsync(environment, "logs", "--since", second, "web");
        var lastMinute = await cli.RunAsync(environment, "logs", "--since", "1m", "web");
        var fromNow = await cli.RunAsync(environment, "logs", "--since", "0s", "web");

        Assert.True(fromSecond.Exit == 0, fromSecond.Error);
        Assert.Equal("web-1 | second\n", fromSecond.Out);
        Assert.True(lastMinute.Exit == 0, lastMinute.Error);
        Assert.Equal("web-1 | first\nweb-1 | second\n", lastMinute.Out);
        Assert.True(fromNow.Exit == 0, fromNow.Error);
        Assert.Equal("", fromNow.Out);
    }

    private static string Sorted(string output) =>
        string.Join('\n', output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));

    /// <summary>Polls a condition of the outside world (the container having printed) with a deadline.</summary>
    private static async Task UntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting");
            await Task.Delay(100);
        }
    }

    private string Docker(string arguments)
    {
        using var docker = Process.Start(new ProcessStartInfo("sh", ["-c", $"docker -H {environment["DOCKER_HOST"]} {arguments}"]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = docker.StandardOutput.ReadToEnd();
        docker.WaitForExit();
        return output;
    }
}
