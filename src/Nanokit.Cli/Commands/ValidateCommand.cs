using System.CommandLine;

namespace Nanokit.Cli.Commands;

/// <summary><c>nkapp validate</c>: exit 0 when the configuration is valid, 1 with every located error otherwise.</summary>
internal static class ValidateCommand
{
    public static Command Create(CliContext context)
    {
        var project = new ProjectOptions();
        var command = new Command("validate", "Check the configuration and report every error with its file:line:col");
        project.AddTo(command);
        command.SetAction(parse =>
        {
            if (project.Load(parse, context) is not { } loaded)
            {
                return ExitCodes.Error;
            }

            context.Out.WriteLine(
                $"{loaded.Spec.Name}: configuration is valid ({Plural(loaded.Spec.Services.Count, "service")} in {Plural(loaded.Graph.Layers.Length, "layer")})");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static string Plural(int count, string noun) => count == 1 ? $"1 {noun}" : $"{count} {noun}s";
}
