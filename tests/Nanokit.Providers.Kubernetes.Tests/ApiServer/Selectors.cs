using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Nanokit.Providers.Kubernetes.Tests.ApiServer;

/// <summary>
/// Label selectors as the API reads them (comma-separated requirements, all must hold): <c>k=v</c>, <c>k==v</c>,
/// <c>k!=v</c> (also true when k is absent), <c>k in (a,b)</c>, <c>k notin (a,b)</c>, <c>k</c>, <c>!k</c>; and the field
/// selectors pods support here: metadata.name, metadata.namespace, status.phase with =, == or !=.
/// A selector that does not parse is a 400 BadRequest.
/// </summary>
internal static partial class Selectors
{
    public static Func<JsonObject, bool> Labels(string? selector)
    {
        if (string.IsNullOrWhiteSpace(selector))
        {
            return _ => true;
        }

        var tests = new List<Func<IReadOnlyDictionary<string, string>, bool>>();
        foreach (var part in SplitTopLevel(selector))
        {
            var text = part.Trim();
            if (SetRequirement().Match(text) is { Success: true } set)
            {
                var key = set.Groups["key"].Value;
                var values = set.Groups["values"].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
                var negate = set.Groups["op"].Value == "notin";
                tests.Add(labels => labels.TryGetValue(key, out var v) ? values.Contains(v) != negate : negate);
            }
            else if (EqualityRequirement().Match(text) is { Success: true } eq)
            {
                var key = eq.Groups["key"].Value;
                var value = eq.Groups["value"].Value;
                var negate = eq.Groups["op"].Value == "!=";
                tests.Add(labels => labels.TryGetValue(key, out var v) ? (v == value) != negate : negate);
            }
            else if (ExistsRequirement().Match(text) is { Success: true } exists)
            {
                var key = exists.Groups["key"].Value;
                var negate = exists.Groups["not"].Success;
                tests.Add(labels => labels.ContainsKey(key) != negate);
            }
            else
            {
                throw ApiError.BadRequest($"unable to parse requirement: \"{text}\" in labelSelector \"{selector}\"");
            }
        }

        return obj =>
        {
            var labels = LabelsOf(obj);
            return tests.TrueForAll(t => t(labels));
        };
    }

    public static Func<JsonObject, bool> Fields(string? selector)
    {
        if (string.IsNullOrWhiteSpace(selector))
        {
            return _ => true;
        }

        var tests = new List<Func<JsonObject, bool>>();
        foreach (var part in selector.Split(','))
        {
            var match = FieldRequirement().Match(part.Trim());
            if (!match.Success)
            {
                throw ApiError.BadRequest($"invalid selector: '{selector}'; can't understand '{part}'");
            }

            var field = match.Groups["field"].Value;
            var value = match.Groups["value"].Value;
            var negate = match.Groups["op"].Value == "!=";
            Func<JsonObject, string?> read = field switch
            {
                "metadata.name" => o => o["metadata"]?["name"]?.GetValue<string>(),
                "metadata.namespace" => o => o["metadata"]?["namespace"]?.GetValue<string>(),
                "status.phase" => o => o["status"]?["phase"]?.GetValue<string>(),
                _ => throw ApiError.BadRequest($"field label not supported: {field}"),
            };
            tests.Add(o => (read(o) == value) != negate);
        }

        return obj => tests.TrueForAll(t => t(obj));
    }

    public static Dictionary<string, string> LabelsOf(JsonObject obj) =>
        obj["metadata"]?["labels"] is JsonObject labels
            ? labels.ToDictionary(l => l.Key, l => l.Value?.GetValue<string>() ?? "", StringComparer.Ordinal)
            : new Dictionary<string, string>(StringComparer.Ordinal);

    // Commas inside "in (a,b)" belong to the set, not between requirements.
    private static IEnumerable<string> SplitTopLevel(string selector)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < selector.Length; i++)
        {
            depth += selector[i] switch { '(' => 1, ')' => -1, _ => 0 };
            if (selector[i] == ',' && depth == 0)
            {
                yield return selector[start..i];
                start = i + 1;
            }
        }

        yield return selector[start..];
    }

    private const string Key = @"(?<key>([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)";

    [GeneratedRegex(@"^" + Key + @"\s+(?<op>in|notin)\s+\((?<values>[^()]*)\)$")]
    private static partial Regex SetRequirement();

    [GeneratedRegex(@"^" + Key + @"\s*(?<op>==|=|!=)\s*(?<value>([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?)$")]
    private static partial Regex EqualityRequirement();

    [GeneratedRegex(@"^(?<not>!)?\s*" + Key + "$")]
    private static partial Regex ExistsRequirement();

    [GeneratedRegex(@"^(?<field>[a-z.]+)\s*(?<op>==|=|!=)\s*(?<value>[^,]*)$")]
    private static partial Regex FieldRequirement();
}
