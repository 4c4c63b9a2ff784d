using System.Collections;
using System.Reflection;
using System.Runtime.InteropServices;

namespace Nanokit.Cli;

/// <summary>
/// The runtime settings of <c>nkapp server</c> that nkapp.runtimeconfig.json cannot carry, because they would also
/// apply to every short CLI command or because .NET reads them from the environment only:
/// <list type="bullet">
/// <item><c>DOTNET_GCgen0size</c>, the smallest gen0 budget. A runtimeconfig <c>System.GC.Gen0Size</c> is ignored and
/// <c>System.GC.Gen0MaxBudget</c> only caps the budget (both measured, docs/benchmarks.md). Without it the runtime
/// sizes gen0 from the CPU's cache, and where it cannot read the cache sizes (this host's VM has no
/// /sys/devices/system/cpu/cpu0/cache) a gen0 collection comes every 2 MB or so allocated: hundreds a second in a busy
/// node.</item>
/// <item><c>DOTNET_TieredCompilation=0</c>: every method is compiled once, optimized, at its first call. With tiering a
/// node kept running hot paths (gRPC's handlers, Akka.Persistence's receive) as unoptimized tier-0 code for a minute
/// of load while the background compiler, behind on a 2-core host, took 14 % of the node's CPU; without it a node
/// needs 0.7× the CPU per project applied (docs/benchmarks.md, session 9). A CLI command would pay for it at start-up,
/// so it is the server's alone.</item>
/// </list>
/// So the server process replaces itself, once, before it opens anything, with the same program started with the
/// variables set: execve(2) keeps its pid, arguments and open descriptors, so a supervisor or script that started it
/// sees one process. The variables are then taken out of the node's environment again, so that the processes the node
/// starts (local replicas) do not inherit them. A value the operator set wins (<c>DOTNET_GCgen0size=0</c> gives the
/// runtime's own budget back, <c>DOTNET_TieredCompilation=1</c> tiering); when every variable is the operator's, no
/// restart happens.
/// </summary>
internal static partial class ServerProcess
{
    /// <summary>The variables and the values the server sets when the operator did not.</summary>
    internal static readonly IReadOnlyList<(string Name, string Value)> Variables =
    [
        ("DOTNET_GCgen0size", "0x4000000"), // 64 MiB: a node allocates ~1 MB per project applied; fewer, larger gen0 collections cost less in total
        ("DOTNET_TieredCompilation", "0"),
    ];

    /// <summary>Set by the restart to the names it added, so that the new process removes those and only those.</summary>
    private const string RestartedVariable = "NANOKIT_SERVER_RUNTIME_SET";

    /// <summary>
    /// Restarts this process with the missing variables set; once restarted, removes what it set from its environment.
    /// Only when this process is nkapp itself on Linux: a test host running the command in-process is left alone.
    /// Returns a warning for stderr when the restart could not happen.
    /// </summary>
    public static string? ApplyRuntimeSettings()
    {
        if (!OperatingSystem.IsLinux() || Assembly.GetEntryAssembly() != typeof(ServerProcess).Assembly)
        {
            return null;
        }

        if (Environment.GetEnvironmentVariable(RestartedVariable) is { } added)
        {
            Environment.SetEnvironmentVariable(RestartedVariable, null);
            foreach (var name in added.Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                Environment.SetEnvironmentVariable(name, null);
            }

            return null;
        }

        var missing = Variables.Where(v => Environment.GetEnvironmentVariable(v.Name) is null).ToList();
        if (missing.Count == 0)
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

        environment.AddRange(missing.Select(v => $"{v.Name}={v.Value}"));
        environment.Add($"{RestartedVariable}={string.Join(',', missing.Select(v => v.Name))}");
        environment.Add(null);
        Execve("/proc/self/exe", [.. argv, null], [.. environment]);
        return $"nkapp server: could not restart itself with {string.Join(' ', missing.Select(v => $"{v.Name}={v.Value}"))} " +
            $"(errno {Marshal.GetLastPInvokeError()}); running with the runtime's defaults";
    }

    [LibraryImport("libc", EntryPoint = "execve", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Execve(string path, string?[] argv, string?[] envp);
}
