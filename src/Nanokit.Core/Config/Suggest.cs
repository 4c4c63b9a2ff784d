namespace Nanokit.Core.Config;

/// <summary>"did you mean" for unknown keys: the closest known key by Levenshtein distance, if close enough to be a typo.</summary>
internal static class Suggest
{
    public static string? Closest(string unknown, IEnumerable<string> known)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in known)
        {
            var d = Distance(unknown.ToLowerInvariant(), candidate);
            if (d < bestDistance)
            {
                (best, bestDistance) = (candidate, d);
            }
        }

        // A third of the word (at least 1, at most 3 edits) keeps "imgae"→"image" and rejects "foo"→"tmpfs".
        var allowed = Math.Clamp(unknown.Length / 3, 1, 3);
        return bestDistance <= allowed ? best : null;
    }

    /// <summary>Levenshtein distance where swapping two neighbours counts as one edit (optimal string alignment): "imgae" is 1 from "image".</summary>
    public static int Distance(string a, string b)
    {
        if (a.Length > 64 || b.Length > 64)
        {
            return int.MaxValue;
        }

        Span<int> beforePrevious = stackalloc int[b.Length + 1];
        Span<int> previous = stackalloc int[b.Length + 1];
        Span<int> current = stackalloc int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    current[j] = Math.Min(current[j], beforePrevious[j - 2] + 1);
                }
            }

            previous.CopyTo(beforePrevious);
            current.CopyTo(previous);
        }

        return previous[b.Length];
    }
}
