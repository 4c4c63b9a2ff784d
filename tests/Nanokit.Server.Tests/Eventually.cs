namespace Nanokit.Server.Tests;

/// <summary>Retries an assertion until it holds or the time is up (then its last failure is the test's failure).</summary>
internal static class Eventually
{
    public static async Task Async(TimeSpan within, Func<Task> assertion)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            try
            {
                await assertion();
                return;
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
    }
}
