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
/// hooks (run around a replica, not part of it), the source location, and which environment variables
/// are secret (their values are hashed like any other, and never leave this method).
/// The writer and its buffer are reused per thread: hashing 10 k services allocates only the hex strings.
/// </remarks>
public static class ConfigHash
{
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
        WriteSequence(w, "command", s.Command);
        WriteSequence(w, "entrypoint", s.Entrypoint);
        WriteMapping(w, "environment", s.Environment);
        if (s.Healthcheck is { } health)
        {
            w.WriteStartObject("healthcheck");
            w.WriteBoolean("disabled", health.Disabled);
            w.WriteNumber("interval", health.Interval.Ticks);
            w.WriteNumber("retries", health.Retries);
            w.WriteNumber("start_period", health.StartPeriod.Ticks);
            WriteSequence(w, "test", health.Test);
            w.WriteNumber("timeout", health.Timeout.Ticks);
            w.WriteEndObject();
        }

        if (s.Image is not null)
        {
            w.WriteString("image", s.Image);
        }

        WriteMapping(w, "labels", s.Labels);
        if (!s.Ports.IsDefaultOrEmpty)
        {
            w.WriteStartArray("ports");
            foreach (var port in s.Ports)
            {
                w.WriteStartObject();
                w.WriteNumber("container_port", port.ContainerPort);
                if (port.HostIp is not null)
                {
                    w.WriteString("host_ip", port.HostIp);
                }

                if (port.HostPort is { } hostPort)
                {
                    w.WriteNumber("host_port", hostPort);
                }

                w.WriteString("protocol", port.Protocol);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        WriteMapping(w, "runtime", s.RuntimeOptions);
        w.WriteNumber("stop_grace_period", s.StopGracePeriod.Ticks);
        if (!s.Volumes.IsDefaultOrEmpty)
        {
            w.WriteStartArray("volumes");
            foreach (var volume in s.Volumes)
            {
                w.WriteStartObject();
                w.WriteBoolean("read_only", volume.ReadOnly);
                if (volume.Source is not null)
                {
                    w.WriteString("source", volume.Source);
                }

                w.WriteString("target", volume.Target);
                w.WriteString("type", volume.Type);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        if (s.WorkingDir is not null)
        {
            w.WriteString("working_dir", s.WorkingDir);
        }

        w.WriteEndObject();
    }

    private static void WriteSequence(Utf8JsonWriter w, string key, ImmutableArray<string>? values)
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

    private static void WriteMapping<TValue>(Utf8JsonWriter w, string key, ImmutableSortedDictionary<string, TValue> map)
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
