using System.Text;

namespace Nanokit.Core.Config;

/// <summary>
/// Compose variable interpolation: <c>$VAR</c>, <c>${VAR}</c>, <c>${VAR:-d}</c>, <c>${VAR-d}</c>,
/// <c>${VAR:?msg}</c>, <c>${VAR?msg}</c>, <c>${VAR:+r}</c>, <c>${VAR+r}</c>, nested operands and <c>$$</c>.
/// Design note: a recursive-descent pass over the text; an operand is always parsed (so syntax errors are
/// found) but only evaluated when its branch is taken, as a shell does, so <c>${A:-${B:?x}}</c> does not fail
/// when A is set. A <c>$</c> not followed by a name or a brace is kept literally, as the spec says.
/// </summary>
internal static class Interpolation
{
    /// <summary>
    /// An interpolation failure; <see cref="Offset"/> is the index in the input where the problem starts.
    /// <see cref="Message"/> never quotes the input (dotenv files may hold credentials); <see cref="Detail"/> is the
    /// author's own text from <c>${VAR:?message}</c>, which a configuration file shows and a dotenv file does not.
    /// </summary>
    internal sealed record Failure(int Offset, string Message, string? Detail = null)
    {
        public string WithDetail => Detail is null ? Message : $"{Message}: {Detail}";
    }

    private const int MaxNesting = 32;

    /// <summary>Interpolates <paramref name="text"/>; returns null and sets <paramref name="failure"/> on the first error.</summary>
    public static string? Interpolate(string text, Func<string, string?> lookup, out Failure? failure)
    {
        failure = null;
        if (text.IndexOf('$') < 0)
        {
            return text;
        }

        var state = new State(text, lookup);
        var result = state.Sequence(0, inOperand: false, evaluate: true);
        failure = state.Failure;
        return failure is null ? result : null;
    }

    private sealed class State(string text, Func<string, string?> lookup)
    {
        private int _pos;

        public Failure? Failure { get; private set; }

        /// <summary>Reads text up to the end, or up to the closing brace of an operand.</summary>
        public string Sequence(int depth, bool inOperand, bool evaluate)
        {
            var sb = new StringBuilder();
            while (_pos < text.Length && Failure is null)
            {
                var c = text[_pos];
                if (inOperand && c == '}')
                {
                    return sb.ToString();
                }

                if (c != '$' || _pos + 1 >= text.Length)
                {
                    sb.Append(c);
                    _pos++;
                    continue;
                }

                var next = text[_pos + 1];
                if (next == '$')
                {
                    sb.Append('$');
                    _pos += 2;
                }
                else if (next == '{')
                {
                    sb.Append(Braced(depth, evaluate));
                }
                else if (IsNameStart(next))
                {
                    var start = _pos + 1;
                    _pos = start;
                    while (_pos < text.Length && IsNameChar(text[_pos]))
                    {
                        _pos++;
                    }

                    if (evaluate)
                    {
                        sb.Append(lookup(text[start.._pos]) ?? "");
                    }
                }
                else
                {
                    sb.Append('$');
                    _pos++;
                }
            }

            return sb.ToString();
        }

        private string Braced(int depth, bool evaluate)
        {
            var open = _pos;
            if (depth >= MaxNesting)
            {
                Fail(open, $"interpolation nested deeper than {MaxNesting} levels");
                return "";
            }

            _pos += 2;
            var nameStart = _pos;
            while (_pos < text.Length && IsNameChar(text[_pos]))
            {
                _pos++;
            }

            var name = text[nameStart.._pos];
            if (_pos >= text.Length)
            {
                Fail(open, "unterminated \"${\": missing \"}\"");
                return "";
            }

            if (name.Length == 0 || !IsNameStart(name[0]))
            {
                Fail(open, "invalid interpolation format: a variable name must match [_a-zA-Z][_a-zA-Z0-9]*");
                return "";
            }

            if (text[_pos] == '}')
            {
                _pos++;
                return evaluate ? lookup(name) ?? "" : "";
            }

            var colon = text[_pos] == ':';
            var opIndex = colon ? _pos + 1 : _pos;
            var op = opIndex < text.Length ? text[opIndex] : '\0';
            if (op is not ('-' or '?' or '+'))
            {
                Fail(open, "invalid interpolation format: expected \"}\" or one of :- - :? ? :+ + after the name");
                return "";
            }

            _pos = opIndex + 1;
            var value = evaluate ? lookup(name) : null;
            var isSet = value is not null;
            var hasValue = colon ? !string.IsNullOrEmpty(value) : isSet;
            var useOperand = op switch
            {
                '-' => !hasValue,
                '+' => hasValue,
                _ => !hasValue,
            };
            var operand = Sequence(depth + 1, inOperand: true, evaluate && useOperand);
            if (Failure is not null)
            {
                return "";
            }

            if (_pos >= text.Length)
            {
                Fail(open, "unterminated \"${\": missing \"}\"");
                return "";
            }

            _pos++;
            if (!evaluate)
            {
                return "";
            }

            switch (op)
            {
                case '-':
                    return hasValue ? value! : operand;
                case '+':
                    return hasValue ? operand : "";
                default:
                    if (!hasValue)
                    {
                        Fail(open, $"required variable {name} is missing a value", operand.Length == 0 ? null : operand);
                        return "";
                    }

                    return value!;
            }
        }

        private void Fail(int offset, string message, string? detail = null) => Failure ??= new Failure(offset, message, detail);
    }

    internal static bool IsNameStart(char c) => c == '_' || c is >= 'a' and <= 'z' or >= 'A' and <= 'Z';

    internal static bool IsNameChar(char c) => IsNameStart(c) || c is >= '0' and <= '9';
}
