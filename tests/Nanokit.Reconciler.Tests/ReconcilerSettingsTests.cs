using Akka.Configuration;
using Nanokit.Reconciler.Hosting;

namespace Nanokit.Reconciler.Tests;

/// <summary>hocon/reconciler.conf is what the reconciler runs with: every key read, a bad one refused by name.</summary>
public sealed class ReconcilerSettingsTests
{
    private static readonly Config Shipped = NodeConfig.Base.GetConfig("nanokit.reconciler");

    private static ReconcilerSettings With(string hocon) =>
        ReconcilerSettings.From(ConfigurationFactory.ParseString(hocon).WithFallback(Shipped));

    [Fact]
    public void The_default_settings_are_the_shipped_file_key_by_key()
    {
        var settings = ReconcilerSettings.Default;

        Assert.Equal(Shipped.GetTimeSpan("action-retry.base"), settings.ActionRetry.Base);
        Assert.Equal(Shipped.GetTimeSpan("action-retry.max"), settings.ActionRetry.Max);
        Assert.Equal(Shipped.GetDouble("action-retry.jitter"), settings.ActionRetry.Jitter);
        Assert.Equal(Shipped.GetInt("action-retry.max-attempts"), settings.ActionRetry.MaxAttempts);
        Assert.Equal(Shipped.GetTimeSpan("action-retry.outage-tolerance"), settings.ActionRetry.OutageTolerance);
        Assert.Equal(Shipped.GetTimeSpan("run-retry.base"), settings.RunRetry.Base);
        Assert.Equal(Shipped.GetTimeSpan("run-retry.max"), settings.RunRetry.Max);
        Assert.Equal(Shipped.GetDouble("run-retry.jitter"), settings.RunRetry.Jitter);
        Assert.Equal(int.MaxValue, settings.RunRetry.MaxAttempts);
        Assert.Equal(Shipped.GetBoolean("resume-on-recovery"), settings.ResumeOnRecovery);
        Assert.Equal(Shipped.GetBoolean("retry-failed-runs"), settings.RetryFailedRuns);
        Assert.Equal(Shipped.GetBoolean("drift-timer"), settings.DriftTimer);
        Assert.Equal(Shipped.GetDouble("drift-jitter"), settings.DriftJitter);
        Assert.Equal(Shipped.GetTimeSpan("change-debounce"), settings.ChangeDebounce);
        Assert.Equal(Shipped.GetTimeSpan("watch-restart-delay"), settings.WatchRestartDelay);
        Assert.Equal(Shipped.GetInt("snapshot-every"), settings.SnapshotEvery);
    }

    [Fact]
    public void A_value_set_in_configuration_reaches_the_settings()
    {
        var settings = With("snapshot-every = 7\naction-retry.max-attempts = 9\nchange-debounce = 250ms\nrun-retry.jitter = 0");

        Assert.Equal(7, settings.SnapshotEvery);
        Assert.Equal(9, settings.ActionRetry.MaxAttempts);
        Assert.Equal(TimeSpan.FromMilliseconds(250), settings.ChangeDebounce);
        Assert.Equal(0, settings.RunRetry.Jitter);
    }

    [Theory]
    [InlineData("drift-jitter = 1.5", "nanokit.reconciler.drift-jitter must be a fraction from 0 to 1")]
    [InlineData("action-retry.max-attempts = 0", "nanokit.reconciler.action-retry.max-attempts must be 1 or more")]
    [InlineData("run-retry.base = 0s", "nanokit.reconciler.run-retry.base must be a positive duration")]
    public void A_value_out_of_range_is_refused_by_its_key(string hocon, string message)
    {
        var error = Assert.Throws<ConfigurationException>(() => With(hocon));

        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void A_missing_key_is_refused_by_its_key()
    {
        var error = Assert.Throws<ConfigurationException>(() => ReconcilerSettings.From(ConfigurationFactory.ParseString("snapshot-every = 5")));

        Assert.Equal("nanokit.reconciler.action-retry.max-attempts is missing", error.Message);
    }
}
