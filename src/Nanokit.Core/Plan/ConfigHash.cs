using System.Buffers;
using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text.Json;
using Nanokit.Core.Model;

namespace Nanokit.Core.Plan;

/// <summary>
/// The identity of a service definition for reconciliation: two definitions with the same hash need no
/// recreation. Lowercase hex SHA-256 of a canonical JSON form of the definition.
/// </summary>
/// <remarks>
/// Design note: the canonical form writes keys in alphabetical order, mappings with their keys sorted
/// ordinally, sequences in their own order (order is meaningful in a command), and leaves out null and
/// empty values, so adding an optional key to the model later does not change existing hashes.
/// Left out on purpose, because changing them needs no recreation: the name (the identity, not the
/// definition), replicas (scaling adds or removes replicas), depends_on (ordering only), profiles,
/// hooks (run around a replica, not part of it), pull_policy and update_config (how, not what, runs),
/// the source location, and which environment variables are secret (their values are hashed like any other, and never leave this method).
/// A secret or config grant includes its source's inline content or the digest of its file, so that new content
/// re-creates the replicas that mount it (a pod's subPath mount, like a Docker bind of a replaced file, would not see it).
/// The writer and its buffer are reused per thread: hashing 10 k services allocates only the hex strings.
/// </remarks>
public static class ConfigHash
{
    // Pre-encoded property names: the writer copies their UTF-8 bytes instead of transcoding each time.
    private static readonly JsonEncodedText CommandKey = JsonEncodedText.Encode("command");
    private static readonly JsonEncodedText ConfigsKey = JsonEncodedText.Encode("configs");
    private static readonly JsonEncodedText ContainerKey = JsonEncodedText.Encode("container");
    private static readonly JsonEncodedText NetworksKey = JsonEncodedText.Encode("networks");
    private static readonly JsonEncodedText ReservationsKey = JsonEncodedText.Encode("reservations");
    private static readonly JsonEncodedText SecretsKey = JsonEncodedText.Encode("secrets");
    private static readonly JsonEncodedText StartIntervalKey = JsonEncodedText.Encode("start_interval");
    private static readonly JsonEncodedText ContainerPortKey = JsonEncodedText.Encode("container_port");
    private static readonly JsonEncodedText DisabledKey = JsonEncodedText.Encode("disabled");
    private static readonly JsonEncodedText EntrypointKey = JsonEncodedText.Encode("entrypoint");
    private static readonly JsonEncodedText EnvironmentKey = JsonEncodedText.Encode("environment");
    private static readonly JsonEncodedText HealthcheckKey = JsonEncodedText.Encode("healthcheck");
    private static readonly JsonEncodedText HostIpKey = JsonEncodedText.Encode("host_ip");
    private static readonly JsonEncodedText HostPortKey = JsonEncodedText.Encode("host_port");
    private static readonly JsonEncodedText ImageKey = JsonEncodedText.Encode("image");
    private static readonly JsonEncodedText IntervalKey = JsonEncodedText.Encode("interval");
    private static readonly JsonEncodedText LabelsKey = JsonEncodedText.Encode("labels");
    private static readonly JsonEncodedText LimitsKey = JsonEncodedText.Encode("limits");
    private static readonly JsonEncodedText CpusKey = JsonEncodedText.Encode("cpus");
    private static readonly JsonEncodedText MemoryKey = JsonEncodedText.Encode("memory");
    private static readonly JsonEncodedText NetworkModeKey = JsonEncodedText.Encode("network_mode");
    private static readonly JsonEncodedText PidsKey = JsonEncodedText.Encode("pids");
    private static readonly JsonEncodedText PortsKey = JsonEncodedText.Encode("ports");
    private static readonly JsonEncodedText ProtocolKey = JsonEncodedText.Encode("protocol");
    private static readonly JsonEncodedText ReadOnlyKey = JsonEncodedText.Encode("read_only");
    private static readonly JsonEncodedText RetriesKey = JsonEncodedText.Encode("retries");
    private static readonly JsonEncodedText RuntimeKey = JsonEncodedText.Encode("runtime");
    private static readonly JsonEncodedText SourceKey = JsonEncodedText.Encode("source");
    private static readonly JsonEncodedText StartPeriodKey = JsonEncodedText.Encode("start_period");
    private static readonly JsonEncodedText StopGracePeriodKey = JsonEncodedText.Encode("stop_grace_period");
    private static readonly JsonEncodedText TargetKey = JsonEncodedText.Encode("target");
    private static readonly JsonEncodedText TestKey = JsonEncodedText.Encode("test");
    private static readonly JsonEncodedText TimeoutKey = JsonEncodedText.Encode("timeout");
    private static readonly JsonEncodedText TypeKey = JsonEncodedText.Encode("type");
    private static readonly JsonEncodedText VolumesKey = JsonEncodedText.Encode("volumes");
    private static readonly JsonEncodedText SizeKey = JsonEncodedText.Encode("size");
    private static readonly JsonEncodedText WorkingDirKey = JsonEncodedText.Encode("working_dir");
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? writer;

    public static string Compute(ServiceSpec service)
    {
        ArgumentNullException.ThrowIfNull(service);
        buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        if (writer is null)
        {
            writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true });
        }
        else
        {
            writer.Reset(buffer);
        }

        Write(writer, service);
        writer.Flush();
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(buffer.WrittenSpan, hash);
        return Convert.ToHexStringLower(hash);
    }

    private static void Write(Utf8JsonWriter w, ServiceSpec s)
    {
        w.WriteStartObject();
        if (s.Build is { } build)
        {
            // The context's content (its hash) and how it is built; where the context lies on this machine is not the image's.
            w.WriteStartObject("build");
            WriteMapping(w, JsonEncodedText.Encode("args"), build.Args);
            w.WriteString("context", build.ContextHash);
            w.WriteString("dockerfile", build.Dockerfile);
            if (build.Target is not null)
            {
                w.WriteString("target", build.Target);
            }

            w.WriteEndObject();
        }

        WriteSequence(w, CommandKey, s.Command);
        WriteGrants(w, ConfigsKey, s.Configs);
        var container = s.Container.Fields().ToList();
        if (container.Count > 0)
        {
            w.WritePropertyName(ContainerKey);
            WriteTree(w, container);
        }

        WriteSequence(w, EntrypointKey, s.Entrypoint);
        WriteMapping(w, EnvironmentKey, s.Environment);
        if (s.Healthcheck is { } health)
        {
            w.WriteStartObject(HealthcheckKey);
            w.WriteBoolean(DisabledKey, health.Disabled);
            w.WriteNumber(IntervalKey, health.Interval.Ticks);
            w.WriteNumber(RetriesKey, health.Retries);
            if (health.StartInterval > TimeSpan.Zero)
            {
                w.WriteNumber(StartIntervalKey, health.StartInterval.Ticks);
            }

            w.WriteNumber(StartPeriodKey, health.StartPeriod.Ticks);
            WriteSequence(w, TestKey, health.Test);
            w.WriteNumber(TimeoutKey, health.Timeout.Ticks);
            w.WriteEndObject();
        }

        if (s.Image is not null)
        {
            w.WriteString(ImageKey, s.Image);
        }

        WriteMapping(w, LabelsKey, s.Labels);
        if (s.Limits is { } limits)
        {
            w.WriteStartObject(LimitsKey);
            if (limits.Cpus is { } cpus)
            {
                w.WriteNumber(CpusKey, cpus);
            }

            if (limits.MemoryBytes is { } memory)
            {
                w.WriteNumber(MemoryKey, memory);
            }

            if (limits.Pids is { } pids)
            {
                w.WriteNumber(PidsKey, pids);
            }

            w.WriteEndObject();
        }

        if (s.NetworkMode is not null)
        {
            w.WriteString(NetworkModeKey, s.NetworkMode);
        }

        if (!s.Networks.IsEmpty)
        {
            w.WriteStartObject(NetworksKey);
            foreach (var (name, network) in OrdinalOrder(s.Networks))
            {
                w.WritePropertyName(name);
                WriteTree(w, new List<KeyValuePair<string, object?>>
                {
                    new("aliases", network.Aliases.IsDefaultOrEmpty ? null : network.Aliases.Cast<object?>().ToList()),
                    new("ipv4_address", network.Ipv4Address),
                    new("ipv6_address", network.Ipv6Address),
                    new("priority", network.Priority is { } p ? (long)p : null),
                });
            }

            w.WriteEndObject();
        }

        if (!s.Ports.IsDefaultOrEmpty)
        {
            w.WriteStartArray(PortsKey);
            foreach (var port in s.Ports)
            {
                w.WriteStartObject();
                w.WriteNumber(ContainerPortKey, port.ContainerPort);
                if (port.HostIp is not null)
                {
                    w.WriteString(HostIpKey, port.HostIp);
                }

                if (port.HostPort is { } hostPort)
                {
                    w.WriteNumber(HostPortKey, hostPort);
                }

                w.WriteString(ProtocolKey, port.Protocol);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        if (s.Reservations is { } reservations)
        {
            w.WriteStartObject(ReservationsKey);
            if (reservations.Cpus is { } cpus)
            {
                w.WriteNumber(CpusKey, cpus);
            }

            if (reservations.MemoryBytes is { } memory)
            {
                w.WriteNumber(MemoryKey, memory);
            }

            w.WriteEndObject();
        }

        WriteMapping(w, RuntimeKey, s.RuntimeOptions);
        WriteGrants(w, SecretsKey, s.Secrets);
        w.WriteNumber(StopGracePeriodKey, s.StopGracePeriod.Ticks);
        if (!s.Volumes.IsDefaultOrEmpty)
        {
            w.WriteStartArray(VolumesKey);
            foreach (var volume in s.Volumes)
            {
                w.WriteStartObject();
                w.WriteBoolean(ReadOnlyKey, volume.ReadOnly);
                // Only when declared, so the hash of every spec without a size stays as it was.
                if (volume.Size is not null)
                {
                    w.WriteString(SizeKey, volume.Size);
                }

                if (volume.Source is not null)
                {
                    w.WriteString(SourceKey, volume.Source);
                }

                w.WriteString(TargetKey, volume.Target);
                w.WriteString(TypeKey, volume.Type);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        if (s.WorkingDir is not null)
        {
            w.WriteString(WorkingDirKey, s.WorkingDir);
        }

        w.WriteEndObject();
    }

    private static void WriteGrants(Utf8JsonWriter w, JsonEncodedText key, ImmutableArray<FileGrant> grants)
    {
        if (grants.IsDefaultOrEmpty)
        {
            return;
        }

        w.WriteStartArray(key);
        foreach (var grant in grants)
        {
            WriteTree(w, new List<KeyValuePair<string, object?>>
            {
                new("content", grant.Definition?.Content),
                new("digest", grant.Definition?.Digest),
                new("gid", grant.Gid),
                new("mode", grant.Mode is { } mode ? (long)mode : null),
                new("source", grant.Source),
                new("target", grant.Target),
                new("uid", grant.Uid),
            });
        }

        w.WriteEndArray();
    }

    /// <summary>A value tree as <see cref="ContainerOptions.Fields"/> builds it; null members are left out.</summary>
    private static void WriteTree(Utf8JsonWriter w, object? value)
    {
        switch (value)
        {
            case string text:
                w.WriteStringValue(text);
                break;
            case bool flag:
                w.WriteBooleanValue(flag);
                break;
            case long number:
                w.WriteNumberValue(number);
                break;
            case List<KeyValuePair<string, object?>> map:
                w.WriteStartObject();
                foreach (var (name, member) in map)
                {
                    if (member is not null)
                    {
                        w.WritePropertyName(name);
                        WriteTree(w, member);
                    }
                }

                w.WriteEndObject();
                break;
            case List<object?> list:
                w.WriteStartArray();
                foreach (var item in list)
                {
                    WriteTree(w, item);
                }

                w.WriteEndArray();
                break;
            default:
                throw new ArgumentException($"unexpected value of type {value?.GetType().Name ?? "null"} in a hashed tree", nameof(value));
        }
    }

    private static void WriteSequence(Utf8JsonWriter w, JsonEncodedText key, ImmutableArray<string>? values)
    {
        if (values is not { IsDefault: false } items)
        {
            return;
        }

        // An explicit empty command differs from none (it clears the image's default), so it is written.
        w.WriteStartArray(key);
        foreach (var item in items)
        {
            w.WriteStringValue(item);
        }

        w.WriteEndArray();
    }

    private static void WriteMapping<TValue>(Utf8JsonWriter w, JsonEncodedText key, ImmutableSortedDictionary<string, TValue> map)
    {
        if (map.IsEmpty)
        {
            return;
        }

        w.WriteStartObject(key);
        foreach (var (name, value) in OrdinalOrder(map))
        {
            w.WritePropertyName(name);
            if (value is null)
            {
                w.WriteNullValue();
            }
            else
            {
                w.WriteStringValue(value.ToString());
            }
        }

        w.WriteEndObject();
    }

    /// <summary>The map's entries in ordinal key order, whatever comparer the map was built with.</summary>
    private static IEnumerable<KeyValuePair<string, TValue>> OrdinalOrder<TValue>(ImmutableSortedDictionary<string, TValue> map)
    {
        if (ReferenceEquals(map.KeyComparer, StringComparer.Ordinal))
        {
            return map;
        }

        string? previous = null;
        foreach (var name in map.Keys)
        {
            if (previous is not null && string.CompareOrdinal(previous, name) >= 0)
            {
                var entries = map.ToArray();
                Array.Sort(entries, static (a, b) => string.CompareOrdinal(a.Key, b.Key));
                return entries;
            }

            previous = name;
        }

        return map;
    }
}
