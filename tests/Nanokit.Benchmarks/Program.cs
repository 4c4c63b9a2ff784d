using BenchmarkDotNet.Running;

namespace Nanokit.Benchmarks;

/// <summary>Entry point: <c>dotnet run -c Release --project tests/Nanokit.Benchmarks -- --filter '*Name*'</c>.</summary>
public static class Program
{
    public static void Main(string[] args)
    {
        // Macro benchmarks (one timed run per process: `scale`, `latency`, `journal`) bypass the harness; see ReconcilerMacro.
        if (ReconcilerMacro.Handles(args))
        {
            Environment.ExitCode = ReconcilerMacro.Run(args);
            return;
        }

        // The control plane's API benchmarks (rpc-*) drive running `nkapp server` nodes; see RpcBench.
        if (RpcBench.Handles(args))
        {
            Environment.ExitCode = RpcBench.Run(args);
            return;
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
