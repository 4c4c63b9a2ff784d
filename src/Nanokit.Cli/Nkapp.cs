using System.CommandLine;
using Nanokit.Cli.Commands;

namespace Nanokit.Cli;

/// <summary>The <c>nkapp</c> command tree.</summary>
public static class Nkapp
{
    public static int Run(string[] args, CliContext context)
    {
        var root = new RootCommand("Nanokit: makes running services match nanokit.yml.")
        {
            ValidateCommand.Create(context),
            ConfigCommand.Create(context),
            PlanCommand.Create(context),
        };
        return root.Parse(args).Invoke(new InvocationConfiguration { Output = context.Out, Error = context.Error });
    }
}
