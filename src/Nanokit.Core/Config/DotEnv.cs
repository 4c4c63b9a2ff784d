using System.Text;
using Nanokit.Core.Diagnostics;

namespace Nanokit.Core.Config;

/// <summary>
/// Compose's dotenv syntax (used for the project <c>.env</c> and for <c>env_file</c>): <c>#</c> comment lines,
/// an optional <c>export </c> prefix, single-quoted values literal (only <c>\'</c> unescaped), double-quoted values
/// with <c>\n \r \t \\ \" \$</c> escapes that may span lines, unquoted values trimmed and cut at a <c>#</c> that
/// follows whitespace. Unquoted and double-quoted values are interpolated; a reference resolves against
/// <paramref name="outer"/> first (the shell wins, as compose-go does since PR #403) and then against
/// the entries earlier in the same file. Errors name the line and column and what is wrong, never the text
/// there: an <c>env_file</c> may point at a credentials file, and its lines must not reach a CI log.
/// </summary>
internal static class DotEnv
{
    public static List<KeyValuePair<string, string>> Parse(string file, string text, Func<string, string?> outer, List<ConfigError> errors)
    {
        var result = new List<KeyValuePair<string, string>>();
        var own = new Dictionary<string, string>(StringComparer.Ordinal);
        string? Lookup(string name) => outer(name) ?? (own.TryGetValue(name, out var v) ? v : null);

        var line = 1;
        var i = 0;
        while (i < text.Length)
        {
            var lineStart = i;
            SkipBlanks(text, ref i);
            if (i >= text.Length)
            {
                break;
            }

            if (text[i] is '\n' or '\r' or '#')
            {
                SkipLine(text, ref i, ref line);
                continue;
            }

            if (string.CompareOrdinal(text, i, "export ", 0, 7) == 0)
            {
                i += 7;
                SkipBlanks(text, ref i);
            }

            var keyStart = i;
            while (i < text.Length && text[i] is not ('=' or '\n' or '\r'))
            {
                i++;
            }

            var key = text[keyStart..i].TrimEnd(' ', '\t');
            var keyLocation = new SourceLocation(file, line, keyStart - lineStart + 1);
            if (i >= text.Length || text[i] != '=')
            {
                errors.Add(new ConfigError(keyLocation, "expected KEY=VALUE: the line has no '='"));
                SkipLine(text, ref i, ref line);
                continue;
            }

            if (VariableName.Problem(key) is { } problem)
            {
                errors.Add(new ConfigError(keyLocation, "invalid variable name: " + problem));
                SkipLine(text, ref i, ref line);
                continue;
            }

            i++;
            SkipBlanks(text, ref i);
            var valueLocation = new SourceLocation(file, line, i - lineStart + 1);
            string? value;
            string? error;
            if (i < text.Length && text[i] == '\'')
            {
                value = ReadQuoted(text, ref i, ref line, '\'', out error);
            }
            else if (i < text.Length && text[i] == '"')
            {
                var raw = ReadQuoted(text, ref i, ref line, '"', out error);
                value = raw is null || error is not null ? null : InterpolateValue(raw, Lookup, out error);
            }
            else
            {
                value = InterpolateValue(ReadUnquoted(text, ref i), Lookup, out error);
            }

            if (error is not null || value is null)
            {
                errors.Add(new ConfigError(valueLocation, error ?? "invalid value"));
                SkipLine(text, ref i, ref line);
                continue;
            }

            own[key] = value;
            result.Add(new(key, value));
            SkipLine(text, ref i, ref line);
        }

        return result;
    }

    private static string? InterpolateValue(string raw, Func<string, string?> lookup, out string? error)
    {
        var value = Interpolation.Interpolate(raw, lookup, out var failure);
        error = failure?.Message;
        return value;
    }

    private static string? ReadQuoted(string text, ref int i, ref int line, char quote, out string? error)
    {
        var sb = new StringBuilder();
        i++;
        while (i < text.Length)
        {
            var c = text[i];
            if (c == quote)
            {
                i++;
                error = RestOfLine(text, i);
                return sb.ToString();
            }

            if (c == '\\' && i + 1 < text.Length)
            {
                var n = text[i + 1];
                if (quote == '\'')
                {
                    if (n == '\'')
                    {
                        sb.Append('\'');
                        i += 2;
                        continue;
                    }
                }
                else
                {
                    var escaped = n switch
                    {
                        'n' => "\n",
                        'r' => "\r",
                        't' => "\t",
                        '\\' => "\\",
                        '"' => "\"",
                        '$' => "$$", // kept literal through the interpolation that follows
                        _ => null,
                    };
                    if (escaped is not null)
                    {
                        sb.Append(escaped);
                        i += 2;
                        continue;
                    }
                }
            }

            if (c == '\n')
            {
                line++;
            }

            sb.Append(c);
            i++;
        }

        error = $"unterminated {(quote == '"' ? "double" : "single")}-quoted value";
        return null;
    }

    // After a closing quote only blanks and a comment may follow.
    private static string? RestOfLine(string text, int i)
    {
        SkipBlanks(text, ref i);
        return i >= text.Length || text[i] is '\n' or '\r' or '#' ? null : "unexpected text after the closing quote";
    }

    private static string ReadUnquoted(string text, ref int i)
    {
        var start = i;
        var end = LineEnd(text, i);
        var cut = end;
        for (var j = start; j < end; j++)
        {
            if (text[j] == '#' && j > start && text[j - 1] is ' ' or '\t')
            {
                cut = j;
                break;
            }
        }

        i = end;
        return text[start..cut].Trim(' ', '\t');
    }

    private static int LineEnd(string text, int i)
    {
        while (i < text.Length && text[i] is not ('\n' or '\r'))
        {
            i++;
        }

        return i;
    }

    private static void SkipBlanks(string text, ref int i)
    {
        while (i < text.Length && text[i] is ' ' or '\t')
        {
            i++;
        }
    }

    private static void SkipLine(string text, ref int i, ref int line)
    {
        while (i < text.Length && text[i] != '\n')
        {
            i++;
        }

        if (i < text.Length)
        {
            i++;
            line++;
        }
    }
}
