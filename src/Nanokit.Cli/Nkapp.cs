using System.CommandLine;
using Akka.Actor;
using Nanokit.Reconciler.Hosting;
using Nanokit.Runtime;
using Nanokit.Cli.Commands;

namespace Nanokit.Cli;

/// <summary>The <c>nkapp</c> command tree.</summary>
public static class Nkapp
{
    public static Task<int> RunAsync(string[] args, CliContext context, CancellationToken cancellationToken = default)
    {
        var root = new RootCommand("Nanokit: makes running services match nanokit.yml.")
        {
            ValidateCommand.Create(context),
            ConfigCommand.Create(context),
            PlanCommand.Create(context),
            UpCommand.Create(context),
            DownCommand.Create(context),
            StatusCommand.Create(context),
            DriftCommand.Create(context),
            LogsCommand.Create(context),
            StateCommand.Create(context),
        };
        // Signals are the caller's to turn into cancellation (Program.Main does); the library's own handling exits too soon.
        var invocation = new InvocationConfiguration
        {
            Output = context.Out,
            Error = context.Error,
            ProcessTerminationTimeout = null,
            EnableDefaultExceptionHandler = false,
        };
        return InvokeAsync(root.Parse(args), invocation, context, cancellationToken);
    }

    /// <summary>
    /// Failures the user can act on (a runtime that cannot be reached, a reconciler that does not answer) end
    /// as one line on stderr and exit 1; anything else is a bug and keeps its stack trace.
    /// </summary>
    private static async Task<int> InvokeAsync(ParseResult parse, InvocationConfiguration invocation, CliContext context, CancellationToken cancellationToken)
    {
        try
        {
            return await parse.InvokeAsync(invocation, cancellationToken).ConfigureAwait(false);
        }
        catch (RuntimeException e)
        {
            context.Error.WriteLine(e.Message);
            return ExitCodes.Error;
        }
        catch (StateStoreException e)
        {
            context.Error.WriteLine(e.Message);
            return ExitCodes.Error;
        }
        catch (AskTimeoutException e)
        {
            context.Error.WriteLine($"the reconciler did not answer in time ({e.Message})");
            return ExitCodes.Error;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            context.Error.WriteLine("interrupted; services already started keep running");
            return ExitCodes.Interrupted;
        }
    }
}
