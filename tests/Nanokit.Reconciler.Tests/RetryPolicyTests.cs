namespace Nanokit.Reconciler.Tests;

public sealed class RetryPolicyTests
{
    [Fact]
    public void Backoff_doubles_within_the_jitter_and_stops_at_the_cap()
    {
        var policy = new RetryPolicy(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10), 0.2, 5);
        var random = new Random(7);

        for (var trial = 0; trial < 200; trial++)
        {
            var first = policy.DelayAfter(1, random);
            var third = policy.DelayAfter(3, random);
            var tenth = policy.DelayAfter(10, random);
            Assert.InRange(first.TotalMilliseconds, 800, 1200);
            Assert.InRange(third.TotalMilliseconds, 3200, 4800);
            Assert.InRange(tenth.TotalMilliseconds, 8000, 10000);
        }
    }

    [Fact]
    public void Backoff_is_spread_by_jitter_so_retries_do_not_align()
    {
        var policy = ReconcilerSettings.Default.ActionRetry;
        var random = new Random(1);

        var delays = Enumerable.Range(0, 50).Select(_ => policy.DelayAfter(2, random)).Distinct().Count();

        Assert.True(delays > 40);
    }
}
