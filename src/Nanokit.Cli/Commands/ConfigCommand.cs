using System.CommandLine;
using Nanokit.Core.Config;
using Nanokit.Core.Plan;

namespace Nanokit.Cli.Commands;

/// <summary>
/// <c>nkapp config</c>: the fully resolved project, as <c>docker compose config</c> prints it.
/// Secret values are masked unless <c>--show-secrets</c> is given.
/// </summary>
internal static class ConfigCommand
{
    public static Command Create(CliContext context)
    {
        var project = new ProjectOptions();
        var format = new Option<string>("--format") { Description = "Output format", DefaultValueFactory = _ => "yaml" };
        format.AcceptOnlyFromAmong("yaml", "json");
        var hash = new Option<string?>("--hash")
        {
            Description = "Print the config hash of the named services instead (comma-separated, or * for all)",
        };
        var showSecrets = new Option<bool>("--show-secrets") { Description = "Print secret values instead of masking them" };
        var command = new Command("config", "Print the resolved configuration") { format, hash, showSecrets };
        project.AddTo(command);
        command.SetAction(parse =>
        {
            if (project.Load(parse, context) is not { } loaded)
            {
                return ExitCodes.Error;
            }

            if (parse.GetValue(hash) is { } names)
            {
                return WriteHashes(context, loaded, names);
            }

            var mask = !parse.GetValue(showSecrets);
            context.Out.Write(parse.GetValue(format) == "json"
                ? ProjectWriter.ToJson(loaded.Spec, mask) + Environment.NewLine
                : ProjectWriter.ToYaml(loaded.Spec, mask));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static int WriteHashes(CliContext context, LoadedProject loaded, string names)
    {
        var wanted = names == "*"
            ? loaded.Spec.Services.Keys.ToList()
            : names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        var unknown = wanted.Where(n => !loaded.Spec.Services.ContainsKey(n)).ToList();
        if (unknown.Count > 0)
        {
            context.Error.WriteLine($"no such service: {string.Join(", ", unknown)}");
            return ExitCodes.Error;
        }

        foreach (var name in wanted)
        {
            context.Out.WriteLine($"{name} {ConfigHash.Compute(loaded.Spec.Services[name])}");
        }

        return ExitCodes.Ok;
    }
}
