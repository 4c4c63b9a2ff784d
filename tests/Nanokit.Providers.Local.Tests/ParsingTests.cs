using Nanokit.Core.Model;
using Nanokit.Runtime;

namespace Nanokit.Providers.Local.Tests;

public sealed class ParsingTests
{
    [Fact]
    public void Proc_stat_fields_are_counted_after_the_last_parenthesis_of_the_command_name()
    {
        var stat = "4242 (we ird) (name) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 50";
        Assert.Equal(new ProcStat(4242, 'S', 4242, 987654), ProcTable.Parse(4242, stat));
        Assert.False(ProcTable.Parse(1, "1 (zombie) Z 0 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0")!.Value.IsLive);
    }

    [Fact]
    public void Health_follows_docker_semantics_for_start_period_and_retries()
    {
        var check = new HealthcheckSpec(["CMD", "x"], TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), 2, TimeSpan.FromSeconds(10), false);
        var start = DateTimeOffset.UnixEpoch;
        var tracker = new HealthTracker("i", start);

        tracker.Record(false, check, start.AddSeconds(1));
        tracker.Record(false, check, start.AddSeconds(2));
        Assert.Equal(HealthStatus.Starting, tracker.Status);

        tracker.Record(true, check, start.AddSeconds(3));
        Assert.Equal(HealthStatus.Healthy, tracker.Status);

        // Once a probe has succeeded, failures count even inside the start period.
        tracker.Record(false, check, start.AddSeconds(4));
        Assert.Equal(HealthStatus.Healthy, tracker.Status);
        tracker.Record(false, check, start.AddSeconds(5));
        Assert.Equal(HealthStatus.Unhealthy, tracker.Status);
    }

    [Theory]
    [InlineData("http://127.0.0.1:8080/health", "http")]
    [InlineData("CMD-SHELL|tcp://db:5432", "tcp")]
    [InlineData("CMD|curl|-f|http://x", null)]
    [InlineData("CMD-SHELL|curl -f http://x", null)]
    public void Url_probe_forms_are_recognised(string test, string? scheme) =>
        Assert.Equal(scheme, HealthProbe.UrlForm([.. test.Split('|')])?.Scheme);
}
