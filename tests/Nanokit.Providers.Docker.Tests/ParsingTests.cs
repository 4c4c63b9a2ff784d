using System.Buffers.Binary;
using System.Text;

namespace Nanokit.Providers.Docker.Tests;

public sealed class ParsingTests
{
    [Fact]
    public void Docker_host_defaults_to_the_standard_socket_and_accepts_unix_and_tcp()
    {
        Assert.Equal("/var/run/docker.sock", DockerEndpoint.Parse(null).SocketPath);
        Assert.Equal("/tmp/d.sock", DockerEndpoint.Parse("unix:///tmp/d.sock").SocketPath);
        Assert.Equal(new Uri("http://127.0.0.1:2375/"), DockerEndpoint.Parse("tcp://127.0.0.1:2375").TcpBase);
        Assert.Throws<ArgumentException>(() => DockerEndpoint.Parse("ssh://host"));
    }

    [Fact]
    public void Log_timestamps_convert_to_the_since_parameter_with_nanoseconds_kept()
    {
        Assert.Equal("1714557600.123456789", DockerRuntime.UnixTime("2024-05-01T10:00:00.123456789Z"));
        Assert.Null(DockerRuntime.UnixTime("2024-05-01T12:00:00.123456789+02:00"));
        Assert.Null(DockerRuntime.UnixTime("not-a-time"));
    }

    [Fact]
    public void An_instant_converts_to_the_since_parameter_in_utc_to_the_tick()
    {
        var at = new DateTimeOffset(2024, 5, 1, 12, 0, 0, TimeSpan.FromHours(2)).AddTicks(1_234_567);

        Assert.Equal("1714557600.123456700", DockerRuntime.UnixTime(at));
        Assert.Equal("-1.500000000", DockerRuntime.UnixTime(DateTimeOffset.UnixEpoch.AddMilliseconds(-500)));
    }

    [Fact]
    public async Task Demultiplexed_frames_are_split_into_lines_per_stream()
    {
        using var stream = new MemoryStream();
        Frame(stream, 1, "hello wo");
        Frame(stream, 2, "oops\n");
        Frame(stream, 1, "rld\nsecond\r\nrest");
        stream.Position = 0;

        var lines = new List<string>();
        using var frames = new global::Docker.DotNet.MultiplexedStream(stream, multiplexed: true);
        await foreach (var line in LogLines.ReadAsync(frames, CancellationToken.None))
        {
            lines.Add(line);
        }

        Assert.Equal(["oops", "hello world", "second", "rest"], lines);
    }

    private static void Frame(Stream stream, byte type, string text)
    {
        var payload = Encoding.UTF8.GetBytes(text);
        var header = new byte[8];
        header[0] = type;
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), (uint)payload.Length);
        stream.Write(header);
        stream.Write(payload);
    }
}
