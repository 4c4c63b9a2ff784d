using System.Diagnostics;

namespace Nanokit.Benchmarks;

/// <summary>
/// Peak memory of a macro benchmark. The managed heap has no high-water mark of its own, so a dedicated thread
/// (not a pool thread: the pool is saturated by the workload, and a starved sampler would miss the peak) reads it
/// every few milliseconds; the process's peak working set comes from the kernel (VmHWM), which misses nothing.
/// </summary>
internal sealed class ReconcilerMemory : IDisposable
{
    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(10);

    private readonly Thread thread;
    private readonly CancellationTokenSource stop = new();
    private long peakManaged;
    private long peakWorkingSet;

    private ReconcilerMemory()
    {
        thread = new Thread(Sample) { IsBackground = true, Name = "memory-sampler", Priority = ThreadPriority.AboveNormal };
    }

    /// <summary>Highest <see cref="GC.GetTotalMemory(bool)"/> seen (live objects plus garbage not yet collected).</summary>
    public long PeakManagedBytes => Interlocked.Read(ref peakManaged);

    /// <summary>Highest resident set of the process since it started (the kernel's own mark, so a spike between samples counts).</summary>
    public long PeakWorkingSetBytes
    {
        get
        {
            using var process = Process.GetCurrentProcess();
            return Math.Max(process.PeakWorkingSet64, Interlocked.Read(ref peakWorkingSet));
        }
    }

    public static ReconcilerMemory Start()
    {
        var memory = new ReconcilerMemory();
        memory.thread.Start();
        return memory;
    }

    public static string Megabytes(long bytes) => $"{bytes / (1024.0 * 1024.0):F0} MB";

    public void Dispose()
    {
        stop.Cancel();
        thread.Join();
        stop.Dispose();
    }

    private void Sample()
    {
        while (!stop.Token.WaitHandle.WaitOne(Period))
        {
            Raise(ref peakManaged, GC.GetTotalMemory(forceFullCollection: false));
            Raise(ref peakWorkingSet, Environment.WorkingSet);
        }
    }

    private static void Raise(ref long peak, long value)
    {
        if (value > Interlocked.Read(ref peak))
        {
            Interlocked.Exchange(ref peak, value);
        }
    }
}
