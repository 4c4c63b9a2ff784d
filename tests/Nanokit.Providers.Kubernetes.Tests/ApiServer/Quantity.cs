using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Nanokit.Providers.Kubernetes.Tests.ApiServer;

/// <summary>
/// A <c>resource.Quantity</c> as the API server decodes it (k8s.io/apimachinery pkg/api/resource): the documented grammar
/// is <c>&lt;signedNumber&gt;&lt;suffix&gt;</c> (digits with an optional fraction; suffix Ki…Ei, n u m "" k M G T P E, or
/// e/E and a signed integer), but what the server accepts is what its scanner accepts, which is a little looser ("Gi", "."
/// and "+" read as zero) — so this follows the scanner, not a regular expression. A quantity that does not scan fails the
/// decoding of the whole object (400 BadRequest, no field named); one that scans has a sign, which validation then judges.
/// The value itself is not kept: the test server only needs to know whether it is below, at or above zero.
/// </summary>
internal static class Quantity
{
    /// <summary>The scanner's own error texts (ErrFormatWrong, ErrNumeric, ErrSuffix).</summary>
    public const string FormatWrong = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
    public const string NumericWrong = "unable to parse numeric part of quantity";
    public const string SuffixWrong = "unable to parse quantity's suffix";

    private const string SuffixLetters = "eEinumkKMGTP";
    private static readonly Dictionary<string, int> Decimal = new(StringComparer.Ordinal)
    {
        ["n"] = -9, ["u"] = -6, ["m"] = -3, [""] = 0, ["k"] = 3, ["M"] = 6, ["G"] = 9, ["T"] = 12, ["P"] = 15, ["E"] = 18,
    };

    private static readonly Dictionary<string, int> Binary = new(StringComparer.Ordinal)
    {
        ["Ki"] = 10, ["Mi"] = 20, ["Gi"] = 30, ["Ti"] = 40, ["Pi"] = 50, ["Ei"] = 60,
    };

    /// <summary>
    /// The sign of a quantity as JSON carries it (a string, trimmed as Quantity.UnmarshalJSON trims it, or a bare number),
    /// or the decoding error the server gives.
    /// </summary>
    public static (int Sign, string? Error) Read(JsonNode? node)
    {
        var text = node is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>().Trim() : node?.ToJsonString() ?? "null";
        return text == "null" ? (0, null) : Parse(text);
    }

    public static (int Sign, string? Error) Parse(string text)
    {
        if (text.Length == 0)
        {
            return (0, FormatWrong);
        }

        var negative = text[0] == '-';
        var pos = text[0] is '-' or '+' ? 1 : 0;
        while (pos < text.Length && text[pos] == '0')
        {
            pos++;
        }

        var numberStart = pos;
        pos = Digits(text, pos);
        var number = text[numberStart..pos];
        var fraction = "";
        if (pos < text.Length && text[pos] == '.')
        {
            var fractionStart = ++pos;
            pos = Digits(text, pos);
            fraction = text[fractionStart..pos];
        }

        var numeric = text[..pos];
        var suffixStart = pos;
        while (pos < text.Length && SuffixLetters.Contains(text[pos], StringComparison.Ordinal))
        {
            pos++;
        }

        if (pos < text.Length && text[pos] is '-' or '+')
        {
            pos++;
        }

        if (Digits(text, pos) != text.Length)
        {
            return (0, FormatWrong);
        }

        var suffix = text[suffixStart..];
        bool binary;
        long exponent;
        if (Decimal.TryGetValue(suffix, out var decimalExponent))
        {
            (binary, exponent) = (false, decimalExponent);
        }
        else if (Binary.TryGetValue(suffix, out var binaryExponent))
        {
            (binary, exponent) = (true, binaryExponent);
        }
        else if (suffix.Length > 1 && suffix[0] is 'e' or 'E' && long.TryParse(suffix.AsSpan(1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var written))
        {
            (binary, exponent) = (false, written);
        }
        else
        {
            return (0, SuffixWrong);
        }

        // The scanner's fast path reads digits-only text ("", ".") as zero; its exact path (a fraction of a binary suffix,
        // more than 18 digits, a scale below nano) parses the numeric text as a decimal, which needs at least one digit.
        var digits = (number.Length == 0 ? "0" : number) + fraction;
        var exact = binary ? fraction.Length > 0 || 15 - Math.Max(number.Length, 1) - (exponent * 3 / 10) - 1 < 0 : digits.Length > 18 || exponent - fraction.Length < -9;
        if (exact && !numeric.Any(char.IsAsciiDigit))
        {
            return (0, NumericWrong);
        }

        // A non-zero amount is never rounded to zero (it rounds up to 1n), so the sign is the digits'.
        var zero = digits.All(c => c == '0');
        return (zero ? 0 : negative ? -1 : 1, null);
    }

    private static int Digits(string text, int pos)
    {
        while (pos < text.Length && char.IsAsciiDigit(text[pos]))
        {
            pos++;
        }

        return pos;
    }
}
