using System.Globalization;

namespace Nanokit.Actors.TestKit;

/// <summary>Timeouts of the TestKit, all multiplied by the factor in <c>NANOKIT_TEST_DILATION</c> (default 1).</summary>
public static class TestKitSettings
{
    public const string DilationVariable = "NANOKIT_TEST_DILATION";

    public static double Dilation { get; } = ReadDilation();

    /// <summary>The default wait of ExpectMsg and friends, before dilation.</summary>
    public static TimeSpan DefaultTimeout { get; } = TimeSpan.FromSeconds(3);

    public static TimeSpan Dilated(TimeSpan duration) =>
        duration == Timeout.InfiniteTimeSpan ? duration : TimeSpan.FromTicks((long)(duration.Ticks * Dilation));

    private static double ReadDilation()
    {
        var raw = Environment.GetEnvironmentVariable(DilationVariable);
        if (string.IsNullOrWhiteSpace(raw))
        {
            return 1;
        }

        return double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var factor) && factor > 0
            ? factor
            : throw new InvalidOperationException($"{DilationVariable} must be a positive number, got '{raw}'.");
    }
}
