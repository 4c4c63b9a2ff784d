using System.Text;

namespace Nanokit.Core.Config;

/// <summary>Splits a string command into words as Compose does (POSIX shell quoting: '…' literal, "…" with \ escapes, \ outside quotes).</summary>
internal static class ShellWords
{
    public static IReadOnlyList<string>? Split(string text, out string? error)
    {
        error = null;
        var words = new List<string>();
        var sb = new StringBuilder();
        var inWord = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c))
            {
                if (inWord)
                {
                    words.Add(sb.ToString());
                    sb.Clear();
                    inWord = false;
                }

                continue;
            }

            inWord = true;
            if (c == '\\' && i + 1 < text.Length)
            {
                sb.Append(text[++i]);
            }
            else if (c == '\'')
            {
                var end = text.IndexOf('\'', i + 1);
                if (end < 0)
                {
                    error = "unterminated single quote in command";
                    return null;
                }

                sb.Append(text, i + 1, end - i - 1);
                i = end;
            }
            else if (c == '"')
            {
                i++;
                while (i < text.Length && text[i] != '"')
                {
                    if (text[i] == '\\' && i + 1 < text.Length && text[i + 1] is '"' or '\\' or '$' or '`')
                    {
                        i++;
                    }

                    sb.Append(text[i]);
                    i++;
                }

                if (i >= text.Length)
                {
                    error = "unterminated double quote in command";
                    return null;
                }
            }
            else
            {
                sb.Append(c);
            }
        }

        if (inWord)
        {
            words.Add(sb.ToString());
        }

        return words;
    }
}
