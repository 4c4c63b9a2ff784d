using System.Runtime.InteropServices;

namespace Nanokit.Cli;

public static class Program
{
    /// <summary>
    /// SIGINT and SIGTERM cancel the running command instead of killing the process, so that <c>up --watch</c>
    /// stops its actors, flushes its trace and releases the project lock before exiting.
    /// </summary>
    public static async Task<int> Main(string[] args)
    {
        using var stop = new CancellationTokenSource();
        void Cancel(PosixSignalContext signal)
        {
            signal.Cancel = true;
            stop.Cancel();
        }

        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);
        var context = new CliContext(Console.Out, Console.Error, Directory.GetCurrentDirectory(), CliContext.ReadProcessEnvironment());
        return await Nkapp.RunAsync(args, context, stop.Token).ConfigureAwait(false);
    }
}
