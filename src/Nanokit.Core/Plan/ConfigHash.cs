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
/// The writer and its buffer are reused per thread: hashing 10 k services allocates only the hex strings.
/// </remarks>
public static class ConfigHash
{
    // Pre-encoded property names: the writer copies their UTF-8 bytes instead of transcoding each time.
    private static readonly JsonEncodedText CommandKey = JsonEncodedText.Encode("command");
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
        WriteSequence(w, CommandKey, s.Command);
        WriteSequence(w, EntrypointKey, s.Entrypoint);
        WriteMapping(w, EnvironmentKey, s.Environment);
        if (s.Healthcheck is { } health)
        {
            w.WriteStartObject(HealthcheckKey);
            w.WriteBoolean(DisabledKey, health.Disabled);
            w.WriteNumber(IntervalKey, health.Interval.Ticks);
            w.WriteNumber(RetriesKey, health.Retries);
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

        WriteMapping(w, RuntimeKey, s.RuntimeOptions);
        w.WriteNumber(StopGracePeriodKey, s.StopGracePeriod.Ticks);
        if (!s.Volumes.IsDefaultOrEmpty)
        {
            w.WriteStartArray(VolumesKey);
            foreach (var volume in s.Volumes)
            {
                w.WriteStartObject();
                w.WriteBoolean(ReadOnlyKey, volume.ReadOnly);
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
