using System.CommandLine;
using Nanokit.Core.Model;
using Nanokit.Providers.Kubernetes;

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

            if (KubeconfigError(loaded.Spec, context) is { } kubeconfig)
            {
                context.Error.WriteLine($"{loaded.Spec.Name}: runtime kubernetes: {kubeconfig}");
                return ExitCodes.Error;
            }

            context.Out.WriteLine(
                $"{loaded.Spec.Name}: configuration is valid ({Plural(loaded.Spec.Services.Count, "service")} in {Plural(loaded.Graph.Layers.Length, "layer")})");
            return ExitCodes.Ok;
        });
        return command;
    }

    // A kubernetes project is checked against the kubeconfig up would use (an unreadable client certificate, a key that does
    // not match it), when there is one: validate also runs where no cluster is configured (CI), and up says so there.
    private static string? KubeconfigError(ProjectSpec spec, CliContext context)
    {
        var path = KubeConfig.PathFrom(context.Environment.GetValueOrDefault);
        if (spec.Runtime != RuntimeKind.Kubernetes || !File.Exists(path))
        {
            return null;
        }

        try
        {
            _ = KubeConfig.Read(path);
            return null;
        }
        catch (KubeConfigException e)
        {
            return e.Message;
        }
    }

    private static string Plural(int count, string noun) => count == 1 ? $"1 {noun}" : $"{count} {noun}s";
}
