using System.Globalization;
using System.Text.RegularExpressions;

namespace Nanokit.Core.Model;

/// <summary>
/// A Kubernetes quantity (k8s.io/apimachinery <c>resource.Quantity</c>) read as a storage size, for a named volume's
/// <c>driver_opts.size</c> on runtime kubernetes. The grammar is Kubernetes': <c>&lt;quantity&gt; ::= &lt;signedNumber&gt;&lt;suffix&gt;</c>,
/// a number being <c>digits</c>, <c>digits.digits</c>, <c>digits.</c> or <c>.digits</c> with an optional sign, and the suffix
/// binary (Ki Mi Gi Ti Pi Ei), decimal (n u m, none, k M G T P E) or a decimal exponent (<c>e3</c>, <c>E-2</c>: an integer).
/// "1E" is Exa, as Kubernetes reads it. A claim must request more than zero bytes, so only positive quantities are sizes.
/// </summary>
public static partial class StorageQuantity
{
    private static readonly Dictionary<string, decimal> Suffixes = new(StringComparer.Ordinal)
    {
        [""] = 1m, ["n"] = 1e-9m, ["u"] = 1e-6m, ["m"] = 1e-3m,
        ["k"] = 1e3m, ["M"] = 1e6m, ["G"] = 1e9m, ["T"] = 1e12m, ["P"] = 1e15m, ["E"] = 1e18m,
        ["Ki"] = 1L << 10, ["Mi"] = 1L << 20, ["Gi"] = 1L << 30, ["Ti"] = 1L << 40, ["Pi"] = 1L << 50, ["Ei"] = 1L << 60,
    };

    /// <summary>The size in bytes; false when <paramref name="text"/> is not a quantity, not above zero, or too large to hold.</summary>
    public static bool TryParse(string text, out decimal bytes)
    {
        bytes = 0;
        var match = Grammar().Match(text);
        if (!match.Success)
        {
            return false;
        }

        try
        {
            var number = decimal.Parse(match.Groups["number"].Value, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
            bytes = match.Groups["exponent"].Success
                ? Scale(number, int.Parse(match.Groups["exponent"].Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture))
                : number * Suffixes[match.Groups["suffix"].Value];
        }
        catch (OverflowException)
        {
            return false;
        }

        return bytes > 0;
    }

    [GeneratedRegex(@"^(?<number>[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(?:[eE](?<exponent>[+-]?[0-9]+)|(?<suffix>[KMGTPE]i|[numkMGTPE]?))\z", RegexOptions.CultureInvariant)]
    private static partial Regex Grammar();

    private static decimal Scale(decimal number, int exponent)
    {
        // Beyond 10^±28 a decimal neither holds the value nor its difference from zero.
        if (exponent is > 28 or < -28)
        {
            throw new OverflowException();
        }

        return exponent >= 0 ? checked(number * Pow10(exponent)) : number / Pow10(-exponent);
    }

    private static decimal Pow10(int exponent)
    {
        var result = 1m;
        for (var i = 0; i < exponent; i++)
        {
            result *= 10;
        }

        return result;
    }
}
