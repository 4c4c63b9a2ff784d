using System.Diagnostics;
using System.Text;
using Nanokit.Core.Config;
using Xunit;

namespace Nanokit.Core.Tests.Config;

/// <summary>
/// Guards against quadratic work: 8 times the services must cost well under 64 times the time (quadratic) — the
/// bound is 24 times, loose enough for a busy machine. Absolute timings belong to the benchmarks, not to unit tests.
/// </summary>
public sealed class ScaleTests
{
    internal static string Generate(int services)
    {
        var sb = new StringBuilder("name: big\nservices:\n");
        for (var i = 0; i < services; i++)
        {
            sb.Append("  svc-").Append(i).Append(":\n")
              .Append("    image: app:${TAG:-1}\n")
              .Append("    command: [run, --id, \"").Append(i).Append("\"]\n")
              .Append("    environment:\n      ID: \"").Append(i).Append("\"\n      MODE: prod\n")
              .Append("    ports: [\"").Append(10000 + (i % 50000)).Append(":80\"]\n")
              .Append("    healthcheck: {test: [CMD, check], interval: 10s}\n");
            if (i > 0)
            {
                sb.Append("    depends_on: [svc-").Append(i - 1).Append("]\n");
            }
        }

        return sb.ToString();
    }

    private static TimeSpan Measure(string document)
    {
        var best = TimeSpan.MaxValue;
        for (var run = 0; run < 3; run++)
        {
            var watch = Stopwatch.StartNew();
            var project = ProjectLoader.Parse([("big.yml", document)], Load.Options());
            watch.Stop();
            Assert.NotEmpty(project.Services);
            best = watch.Elapsed < best ? watch.Elapsed : best;
        }

        return best;
    }

    [Fact]
    public void Loading_grows_linearly_with_the_number_of_services()
    {
        var small = Generate(1_000);
        var large = Generate(8_000);
        Measure(small);
        var t1 = Measure(small);
        var t8 = Measure(large);
        Assert.True(t8.TotalMilliseconds < 24 * t1.TotalMilliseconds + 50, $"1k: {t1.TotalMilliseconds} ms, 8k: {t8.TotalMilliseconds} ms");
    }
}
