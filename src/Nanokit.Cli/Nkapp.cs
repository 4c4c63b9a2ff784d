using System.CommandLine;
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
        var invocation = new InvocationConfiguration { Output = context.Out, Error = context.Error, ProcessTerminationTimeout = null };
        return root.Parse(args).InvokeAsync(invocation, cancellationToken);
    }
}
