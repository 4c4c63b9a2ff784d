using System.CommandLine;

namespace Nanokit.Cli.Commands;

/// <summary>
/// <c>nkapp completion bash|zsh|fish</c>: a script for the shell that asks nkapp itself for completions through
/// System.CommandLine's <c>[suggest:POSITION]</c> directive, so commands, flags and their values never go stale.
/// </summary>
internal static class CompletionCommand
{
    public static Command Create(CliContext context)
    {
        var shell = new Argument<string>("SHELL") { Description = "bash, zsh or fish" };
        shell.AcceptOnlyFromAmong("bash", "zsh", "fish");
        var command = new Command("completion", "Print a shell completion script (e.g. source <(nkapp completion bash))") { shell };
        command.SetAction(parse =>
        {
            context.Out.Write(parse.GetValue(shell) switch
            {
                "bash" => Bash,
                "zsh" => Zsh,
                _ => Fish,
            });
            return ExitCodes.Ok;
        });
        return command;
    }

    private const string Bash = """
        _nkapp_complete() {
          local IFS=$'\n'
          COMPREPLY=($(nkapp "[suggest:${COMP_POINT}]" "${COMP_LINE}" 2>/dev/null))
        }
        complete -o default -F _nkapp_complete nkapp

        """;

    private const string Zsh = """
        #compdef nkapp
        _nkapp() {
          local line="${words[*]}"
          local -a candidates
          candidates=("${(@f)$(nkapp "[suggest:${#line}]" "$line" 2>/dev/null)}")
          compadd -a candidates
        }
        compdef _nkapp nkapp

        """;

    private const string Fish = """
        complete -c nkapp -f -a '(nkapp "[suggest:"(string length -- (commandline -cp))"]" (commandline -p) 2>/dev/null)'

        """;
}
