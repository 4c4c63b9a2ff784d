using Nanokit.Persistence.Tests.Faults;

namespace Nanokit.Persistence.Tests;

/// <summary>
/// The test assembly's entry point, used only when it runs as a child process of the crash
/// tests (<c>dotnet Nanokit.Persistence.Tests.dll crash-probe …</c>); the test host never calls it.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args is [CrashProbe.Mode, ..])
        {
            return await CrashProbe.RunAsync(args);
        }

        await Console.Error.WriteLineAsync($"this is a test assembly; run it with dotnet test (or '{CrashProbe.Mode}' as a child process of the crash tests)");
        return 2;
    }
}
