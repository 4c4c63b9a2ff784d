using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Nanokit.Core.Diagnostics;
using Nanokit.Core.Model;

namespace Nanokit.Core.Plan;

/// <summary>
/// The identity of a whole desired state — every service with all its settings (replicas, dependencies and hooks
/// included, unlike <see cref="ConfigHash"/>), the project's own settings, and what <c>up</c> was asked to touch.
/// Two equal hashes mean an <c>up</c> has nothing new to ask for (no new generation), and a saved plan's desired
/// state has not moved. Lowercase hex SHA-256 of the model's JSON form; the model's maps are all sorted, so the form
/// is canonical. Source locations and load warnings are left out: moving a service down the file changes nothing.
/// </summary>
public static class DesiredStateHash
{
    private static readonly JsonSerializerOptions Canonical = new(JsonSerializerDefaults.Web)
    {
        TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { LeaveOutLocations } },
    };

    /// <param name="stopped">Services kept stopped by <c>nkapp stop</c>: part of the intent.</param>
    public static string Compute(ProjectSpec spec, PlanOptions options, ImmutableArray<string> stopped = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(options);
        var form = new
        {
            project = Project(spec),
            services = Services(spec),
            named = options.Services.IsDefault ? Array.Empty<string>() : options.Services.Order(StringComparer.Ordinal).ToArray(),
            removeOrphans = options.RemoveOrphans,
            noDeps = options.NoDeps && !options.Services.IsDefaultOrEmpty,
            stopped = stopped.IsDefault ? Array.Empty<string>() : stopped.Order(StringComparer.Ordinal).Distinct(StringComparer.Ordinal).ToArray(),
        };
        return Hex(JsonSerializer.SerializeToUtf8Bytes(form, Canonical));
    }

    /// <summary>The hash of each service's whole definition, by name: what a saved plan compares to name the services that changed.</summary>
    public static ImmutableSortedDictionary<string, string> Services(ProjectSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.Services.ToImmutableSortedDictionary(
            s => s.Key, s => Hex(JsonSerializer.SerializeToUtf8Bytes(s.Value, Canonical)), StringComparer.Ordinal);
    }

    /// <summary>The hash of the project's own settings (name, runtime, drift, networks, secrets, configs, directory).</summary>
    public static string Project(ProjectSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return Hex(JsonSerializer.SerializeToUtf8Bytes(
            spec with { Services = ImmutableSortedDictionary<string, ServiceSpec>.Empty, Warnings = [] }, Canonical));
    }

    /// <summary>What moved between two desired states, from their <see cref="Project"/> and <see cref="Services"/> hashes, one phrase each.</summary>
    public static ImmutableArray<string> Differences(
        string projectBefore, IReadOnlyDictionary<string, string> servicesBefore, string projectNow, IReadOnlyDictionary<string, string> servicesNow)
    {
        ArgumentNullException.ThrowIfNull(servicesBefore);
        ArgumentNullException.ThrowIfNull(servicesNow);
        var changes = ImmutableArray.CreateBuilder<string>();
        if (projectBefore != projectNow)
        {
            changes.Add("the project's settings changed");
        }

        foreach (var service in servicesBefore.Keys.Union(servicesNow.Keys).Order(StringComparer.Ordinal))
        {
            var had = servicesBefore.TryGetValue(service, out var old);
            var has = servicesNow.TryGetValue(service, out var current);
            if (had != has || old != current)
            {
                changes.Add(!has ? $"service {service} was removed" : !had ? $"service {service} was added" : $"service {service} changed");
            }
        }

        return changes.ToImmutable();
    }

    private static string Hex(byte[] json) => Convert.ToHexStringLower(SHA256.HashData(json));

    private static void LeaveOutLocations(JsonTypeInfo type)
    {
        for (var i = type.Properties.Count - 1; i >= 0; i--)
        {
            var property = type.Properties[i].PropertyType;
            if (property == typeof(SourceLocation) || property == typeof(ImmutableArray<ConfigError>))
            {
                type.Properties.RemoveAt(i);
            }
        }
    }
}
