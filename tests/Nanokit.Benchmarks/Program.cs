using BenchmarkDotNet.Running;

namespace Nanokit.Benchmarks;

/// <summary>Entry point: <c>dotnet run -c Release --project tests/Nanokit.Benchmarks -- --filter '*Name*'</c>.</summary>
public static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
