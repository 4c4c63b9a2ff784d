using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;

namespace Nanokit.Cli;

/// <summary>
/// A command line nkapp cannot parse gets one short line, as <c>docker compose</c> and <c>git</c> answer it: what was
/// wrong, the nearest known spelling when there is one, and where the help is; never the whole help page.
/// </summary>
internal static class ParseErrors
{
    /// <summary>
    /// Whether the command line has an error: one System.CommandLine found, or a flag it took for a value of a
    /// command's argument (<c>up --detatch</c> would otherwise name a service <c>--detatch</c>).
    /// </summary>
    public static bool Any(ParseResult parse) => parse.Action is ParseErrorAction || FlagTakenAsArgument(parse) is not null;

    public static int Report(ParseResult parse, CliContext context)
    {
        var command = parse.CommandResult.Command;
        var path = CommandPath(parse.CommandResult);
        var unmatched = FlagTakenAsArgument(parse) ?? parse.UnmatchedTokens.FirstOrDefault();
        string line;
        if (unmatched is not null && unmatched.StartsWith('-'))
        {
            var names = command.Options.Concat(parse.RootCommandResult.Command.Options.Where(o => o.Recursive))
                .Where(o => !o.Hidden).SelectMany(o => o.Aliases.Prepend(o.Name));
            line = $"unknown flag {unmatched} for '{path}'{Suggest(unmatched.Split('=')[0], names)}";
        }
        else if (unmatched is not null && command.Subcommands.Count > 0 && !command.Arguments.Any())
        {
            var names = command.Subcommands.Where(c => !c.Hidden).SelectMany(c => c.Aliases.Prepend(c.Name));
            line = $"unknown command '{unmatched}' for '{path}'{Suggest(unmatched, names)}";
        }
        else if (unmatched is not null)
        {
            line = $"unexpected argument '{unmatched}' for '{path}'";
        }
        else if (parse.Errors.Any(e => e.SymbolResult is CommandResult) && command.Subcommands.Count > 0 && command.Action is null)
        {
            line = $"'{path}' needs a command";
        }
        else
        {
            line = parse.Errors[0].Message.TrimEnd('.');
        }

        context.Error.WriteLine($"nkapp: {line}; see '{path} --help'");
        return ExitCodes.Error;
    }

    private static string? FlagTakenAsArgument(ParseResult parse)
    {
        var afterDoubleDash = parse.Tokens.SkipWhile(t => t.Type != TokenType.DoubleDash).ToHashSet();
        return parse.CommandResult.Children.OfType<ArgumentResult>().SelectMany(a => a.Tokens)
            .FirstOrDefault(t => t.Value.Length > 1 && t.Value[0] == '-' && !afterDoubleDash.Contains(t))?.Value;
    }

    private static string CommandPath(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? r = result; r is CommandResult c; r = c.Parent)
        {
            names.Add(c.Parent is null ? "nkapp" : c.Command.Name);
        }

        names.Reverse();
        return string.Join(' ', names);
    }

    private static string Suggest(string typed, IEnumerable<string> known)
    {
        var best = known
            .Select(k => (Name: k, Distance: Distance(typed.TrimStart('-'), k.TrimStart('-'))))
            .Where(k => k.Distance <= Math.Max(2, typed.TrimStart('-').Length / 3))
            .OrderBy(k => k.Distance).ThenBy(k => k.Name, StringComparer.Ordinal)
            .FirstOrDefault();
        return best.Name is null ? "" : $"; did you mean {best.Name}?";
    }

    /// <summary>Optimal string alignment distance: insertions, deletions, substitutions and one swap of neighbours each cost 1.</summary>
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}
