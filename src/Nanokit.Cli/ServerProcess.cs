using System.Collections;
using System.Reflection;
using System.Runtime.InteropServices;

namespace Nanokit.Cli;

/// <summary>
/// The GC setting of <c>nkapp server</c> that nkapp.runtimeconfig.json cannot carry: the smallest gen0 budget.
/// .NET reads GCgen0size from the environment only (DOTNET_GCgen0size; a runtimeconfig <c>System.GC.Gen0Size</c> is
/// ignored and <c>System.GC.Gen0MaxBudget</c> only caps the budget: both measured, docs/benchmarks.md). Without it the
/// runtime sizes gen0 from the CPU's cache, and where it cannot read the cache sizes (this host's VM has no
/// /sys/devices/system/cpu/cpu0/cache) a gen0 collection comes every 2 MB or so allocated: hundreds a second in a busy
/// node. So the server process replaces itself, once, before it opens anything, with the same program started with
/// the variable set: execve(2) keeps its pid, arguments and open descriptors, so a supervisor or script that started
/// it sees one process. The variable is then taken out of the node's environment again, so that the processes the
/// node starts (local replicas) do not inherit it. A value the operator set wins, and no restart happens:
/// DOTNET_GCgen0size=0 gives the runtime's own budget back.
/// </summary>
internal static partial class ServerProcess
{
    /// <summary>The runtime's variable for the smallest gen0 budget (hexadecimal bytes).</summary>
    internal const string Gen0SizeVariable = "DOTNET_GCgen0size";

    /// <summary>64 MiB: a node allocates ~1 MB per project applied; fewer, larger gen0 collections cost less in total.</summary>
    internal const string Gen0Size = "0x4000000";

    /// <summary>Set beside <see cref="Gen0SizeVariable"/> by the restart, so that the new process knows both are its own.</summary>
    private const string RestartedVariable = "NANOKIT_SERVER_GC_SET";

    /// <summary>
    /// Restarts this process with the gen0 budget set, unless it was set already; once restarted, removes the
    /// variables from its environment. Only when this process is nkapp itself on Linux: a test host running the
    /// command in-process is left alone. Returns a warning for stderr when the restart could not happen.
    /// </summary>
    public static string? ApplyGcSettings()
    {
        if (!OperatingSystem.IsLinux() || Assembly.GetEntryAssembly() != typeof(ServerProcess).Assembly)
        {
            return null;
        }

        if (Environment.GetEnvironmentVariable(RestartedVariable) is not null)
        {
            Environment.SetEnvironmentVariable(RestartedVariable, null);
            Environment.SetEnvironmentVariable(Gen0SizeVariable, null);
            return null;
        }

        if (Environment.GetEnvironmentVariable(Gen0SizeVariable) is not null)
        {
            return null;
        }

        // /proc/self/cmdline is the command line as started (`dotnet nkapp.dll server ...` or `nkapp server ...`);
        // /proc/self/exe the program it started (dotnet, or the apphost).
        var argv = File.ReadAllText("/proc/self/cmdline").TrimEnd('\0').Split('\0');
        var environment = new List<string?>();
        foreach (DictionaryEntry variable in Environment.GetEnvironmentVariables())
        {
            environment.Add($"{variable.Key}={variable.Value}");
        }

        environment.Add($"{Gen0SizeVariable}={Gen0Size}");
        environment.Add($"{RestartedVariable}=1");
        environment.Add(null);
        Execve("/proc/self/exe", [.. argv, null], [.. environment]);
        return $"nkapp server: could not restart itself with {Gen0SizeVariable}={Gen0Size} (errno {Marshal.GetLastPInvokeError()}); running with the runtime's gen0 budget";
    }

    [LibraryImport("libc", EntryPoint = "execve", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Execve(string path, string?[] argv, string?[] envp);
}
