using System.CommandLine;
using System.Reflection;
using System.Runtime.InteropServices;

namespace Nanokit.Cli.Commands;

/// <summary><c>nkapp version</c>: nkapp's version and the .NET runtime it runs on; loads nothing else.</summary>
internal static class VersionCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("version", "Show nkapp's version");
        command.SetAction(_ =>
        {
            var version = typeof(VersionCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
            context.Out.WriteLine($"nkapp version {version} (.NET {Environment.Version}, {RuntimeInformation.RuntimeIdentifier})");
            return ExitCodes.Ok;
        });
        return command;
    }
}
