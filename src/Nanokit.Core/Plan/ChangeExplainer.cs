using System.Collections.Immutable;
using System.Globalization;
using Nanokit.Core.Model;

namespace Nanokit.Core.Plan;

/// <summary>
/// Says, for a human, why a replica's definition differs from the configuration. It only explains: the
/// decision to recreate is taken on the config hash. It names environment variables and labels but never
/// prints their values, and prints any other value that contains a secret as <c>(sensitive value)</c>.
/// </summary>
internal static class ChangeExplainer
{
    public const string Sensitive = "(sensitive value)";

    /// <summary>The cause when nothing explains the new hash (no applied definition, or no visible difference).</summary>
    public const string ConfigChanged = "config changed";

    public static string Explain(ServiceSpec? applied, ServiceSpec desired)
    {
        if (applied is null)
        {
            return ConfigChanged;
        }

        var secrets = SecretValues(applied, desired);
        var causes = new List<string>();
        if (!string.Equals(applied.Image, desired.Image, StringComparison.Ordinal))
        {
            causes.Add($"image changed: {Show(applied.Image, secrets)} -> {Show(desired.Image, secrets)}");
        }

        if (applied.Build?.ContextHash != desired.Build?.ContextHash)
        {
            causes.Add(applied.Build is null || desired.Build is null ? "build changed" : "build context changed");
        }

        if (applied.Build is { } before && desired.Build is { } after
            && (before.Dockerfile != after.Dockerfile || before.Target != after.Target || !before.Args.SequenceEqual(after.Args)))
        {
            causes.Add("build options changed");
        }

        AddIfDifferent(causes, "command", applied.Command, desired.Command);
        AddIfDifferent(causes, "entrypoint", applied.Entrypoint, desired.Entrypoint);
        if (!string.Equals(applied.WorkingDir, desired.WorkingDir, StringComparison.Ordinal))
        {
            causes.Add($"working_dir changed: {Show(applied.WorkingDir, secrets)} -> {Show(desired.WorkingDir, secrets)}");
        }

        CompareMappings(causes, "environment", applied.Environment, desired.Environment);
        if (!applied.Ports.AsSpan().SequenceEqual(desired.Ports.AsSpan()))
        {
            causes.Add("ports changed");
        }

        if (!applied.Volumes.AsSpan().SequenceEqual(desired.Volumes.AsSpan()))
        {
            causes.Add("volumes changed");
        }

        CompareMappings(causes, "label", applied.Labels, desired.Labels);
        if (!HealthchecksEqual(applied.Healthcheck, desired.Healthcheck))
        {
            causes.Add("healthcheck changed");
        }

        if (applied.StopGracePeriod != desired.StopGracePeriod)
        {
            causes.Add($"stop_grace_period changed: {Show(applied.StopGracePeriod)} -> {Show(desired.StopGracePeriod)}");
        }

        CompareMappings(causes, "runtime option", applied.RuntimeOptions, desired.RuntimeOptions);
        CompareContainer(causes, applied.Container, desired.Container);
        if (!applied.Networks.SequenceEqual(desired.Networks, NetworkComparer.Instance))
        {
            causes.Add("networks changed");
        }

        if (!applied.Secrets.AsSpan().SequenceEqual(desired.Secrets.AsSpan()))
        {
            causes.Add("secrets changed");
        }

        if (!applied.Configs.AsSpan().SequenceEqual(desired.Configs.AsSpan()))
        {
            causes.Add("configs changed");
        }

        if (applied.Reservations != desired.Reservations)
        {
            causes.Add("deploy.resources.reservations changed");
        }

        return causes.Count == 0 ? ConfigChanged : string.Join("; ", causes);
    }

    /// <summary>The value as printed in a cause: <c>(none)</c> when absent, masked when it holds a secret.</summary>
    public static string Show(string? value, IReadOnlyCollection<string> secrets)
    {
        if (value is null)
        {
            return "(none)";
        }

        foreach (var secret in secrets)
        {
            if (value.Contains(secret, StringComparison.Ordinal))
            {
                return Sensitive;
            }
        }

        return value;
    }

    /// <summary>Every non-empty value of a secret variable, on either side of the change.</summary>
    private static HashSet<string> SecretValues(ServiceSpec applied, ServiceSpec desired)
    {
        var values = new HashSet<string>(StringComparer.Ordinal);
        var names = applied.SecretEnvironment.Union(desired.SecretEnvironment);
        foreach (var spec in (ReadOnlySpan<ServiceSpec>)[applied, desired])
        {
            foreach (var name in names)
            {
                if (spec.Environment.TryGetValue(name, out var value) && !string.IsNullOrEmpty(value))
                {
                    values.Add(value);
                }
            }
        }

        return values;
    }

    private static void AddIfDifferent(List<string> causes, string key, ImmutableArray<string>? before, ImmutableArray<string>? after)
    {
        if (!SequencesEqual(before, after))
        {
            causes.Add(key + " changed");
        }
    }

    private static bool SequencesEqual(ImmutableArray<string>? before, ImmutableArray<string>? after)
    {
        var a = before is { IsDefault: false } x ? x : (ImmutableArray<string>?)null;
        var b = after is { IsDefault: false } y ? y : (ImmutableArray<string>?)null;
        if (a is null || b is null)
        {
            return a is null && b is null;
        }

        return a.Value.AsSpan().SequenceEqual(b.Value.AsSpan());
    }

    /// <summary>Walks two maps side by side in ordinal key order, naming each key added, removed or changed.</summary>
    private static void CompareMappings<TValue>(
        List<string> causes,
        string what,
        ImmutableSortedDictionary<string, TValue> before,
        ImmutableSortedDictionary<string, TValue> after)
    {
        var keys = new SortedSet<string>(before.Keys, StringComparer.Ordinal);
        keys.UnionWith(after.Keys);
        foreach (var key in keys)
        {
            var had = before.TryGetValue(key, out var old);
            var has = after.TryGetValue(key, out var now);
            if (!had)
            {
                causes.Add($"{what} {key} added");
            }
            else if (!has)
            {
                causes.Add($"{what} {key} removed");
            }
            else if (!EqualityComparer<TValue>.Default.Equals(old, now))
            {
                causes.Add($"{what} {key} changed");
            }
        }
    }

    // Each container key (cap_add, user, ulimits…) compared by its rendering: values stay unprinted, as labels' are.
    private static void CompareContainer(List<string> causes, ContainerOptions before, ContainerOptions after)
    {
        var old = before.Fields().ToDictionary(f => f.Key, f => Canonical(f.Value), StringComparer.Ordinal);
        var now = after.Fields().ToDictionary(f => f.Key, f => Canonical(f.Value), StringComparer.Ordinal);
        foreach (var key in old.Keys.Union(now.Keys).Order(StringComparer.Ordinal))
        {
            if (old.GetValueOrDefault(key) != now.GetValueOrDefault(key))
            {
                causes.Add(key + " changed");
            }
        }
    }

    private static string Canonical(object? value) => value switch
    {
        List<KeyValuePair<string, object?>> map => "{" + string.Join(",", map.Select(e => e.Key + "=" + Canonical(e.Value))) + "}",
        List<object?> list => "[" + string.Join(",", list.Select(Canonical)) + "]",
        IFormattable number => number.ToString(null, CultureInfo.InvariantCulture),
        _ => value?.ToString() ?? "",
    };

    private sealed class NetworkComparer : IEqualityComparer<KeyValuePair<string, ServiceNetwork>>
    {
        public static readonly NetworkComparer Instance = new();

        public bool Equals(KeyValuePair<string, ServiceNetwork> x, KeyValuePair<string, ServiceNetwork> y) =>
            x.Key == y.Key && x.Value.Ipv4Address == y.Value.Ipv4Address && x.Value.Ipv6Address == y.Value.Ipv6Address
            && x.Value.Priority == y.Value.Priority && x.Value.Aliases.AsSpan().SequenceEqual(y.Value.Aliases.AsSpan());

        public int GetHashCode(KeyValuePair<string, ServiceNetwork> obj) => StringComparer.Ordinal.GetHashCode(obj.Key);
    }

    private static bool HealthchecksEqual(HealthcheckSpec? a, HealthcheckSpec? b)
    {
        if (a is null || b is null)
        {
            return a is null && b is null;
        }

        return a.Interval == b.Interval && a.Timeout == b.Timeout && a.Retries == b.Retries
            && a.StartPeriod == b.StartPeriod && a.StartInterval == b.StartInterval && a.Disabled == b.Disabled
            && SequencesEqual(a.Test, b.Test);
    }

    private static string Show(TimeSpan duration) =>
        duration.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + "s";
}
