using System.Collections.Immutable;
using System.Text.Json;

namespace Nanokit.Persistence.Serialization;

/// <summary>
/// The explicit mapping between event (and snapshot) types and the stable manifest names
/// stored beside their JSON, plus upcasters that turn an old manifest's JSON into a
/// current type. A type's CLR name never reaches the database, so types can be renamed
/// or moved freely; changing a shape means registering the new type under a new manifest
/// and an upcaster for the old one. Immutable: each registration returns a new registry.
/// </summary>
public sealed class EventRegistry
{
    private readonly ImmutableDictionary<Type, string> _manifests;
    private readonly ImmutableDictionary<string, Type> _types;
    private readonly ImmutableDictionary<string, Func<JsonElement, object>> _upcasters;
    private readonly JsonSerializerOptions _options;

    private EventRegistry(
        ImmutableDictionary<Type, string> manifests,
        ImmutableDictionary<string, Type> types,
        ImmutableDictionary<string, Func<JsonElement, object>> upcasters,
        JsonSerializerOptions options)
    {
        _manifests = manifests;
        _types = types;
        _upcasters = upcasters;
        _options = options;
    }

    /// <summary>An empty registry using <see cref="JsonSerializerDefaults.Web"/> options.</summary>
    public static EventRegistry Empty { get; } = Create(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    /// <summary>An empty registry with custom options (e.g. a source-generated resolver).</summary>
    public static EventRegistry Create(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.MakeReadOnly(populateMissingResolver: true);
        return new EventRegistry(
            ImmutableDictionary<Type, string>.Empty,
            ImmutableDictionary<string, Type>.Empty.WithComparers(StringComparer.Ordinal),
            ImmutableDictionary<string, Func<JsonElement, object>>.Empty.WithComparers(StringComparer.Ordinal),
            options);
    }

    /// <summary>Registers <typeparamref name="T"/> under <paramref name="manifest"/>; both must be new.</summary>
    public EventRegistry Register<T>(string manifest) => Register(typeof(T), manifest);

    public EventRegistry Register(Type type, string manifest)
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentException.ThrowIfNullOrWhiteSpace(manifest);
        if (_manifests.TryGetValue(type, out var existing))
        {
            throw new ArgumentException($"type {type.FullName} is already registered as manifest '{existing}'", nameof(type));
        }

        EnsureManifestFree(manifest);
        return new EventRegistry(_manifests.Add(type, manifest), _types.Add(manifest, type), _upcasters, _options);
    }

    /// <summary>
    /// Reads events stored under an old <paramref name="manifest"/> by converting their JSON
    /// into a current event. The manifest must not also be registered to a type.
    /// </summary>
    public EventRegistry Upcast(string manifest, Func<JsonElement, object> upcaster)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(manifest);
        ArgumentNullException.ThrowIfNull(upcaster);
        EnsureManifestFree(manifest);
        return new EventRegistry(_manifests, _types, _upcasters.Add(manifest, upcaster), _options);
    }

    /// <summary>Deserializes <typeparamref name="T"/> from an upcaster's JSON with this registry's options.</summary>
    public T Read<T>(JsonElement json) =>
        json.Deserialize<T>(_options) ?? throw new SerializationException($"JSON null cannot be read as {typeof(T).Name}");

    public string ManifestOf(Type type) =>
        _manifests.TryGetValue(type, out var manifest)
            ? manifest
            : throw new SerializationException($"type {type.FullName} has no manifest: register it with EventRegistry.Register<{type.Name}>(\"name\")");

    public SerializedPayload Serialize(object payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        var type = payload.GetType();
        var manifest = ManifestOf(type);
        return new SerializedPayload(manifest, JsonSerializer.SerializeToUtf8Bytes(payload, type, _options));
    }

    public object Deserialize(string manifest, ReadOnlySpan<byte> data)
    {
        if (_types.TryGetValue(manifest, out var type))
        {
            return JsonSerializer.Deserialize(data, type, _options)
                ?? throw new SerializationException($"manifest '{manifest}' holds JSON null");
        }

        if (_upcasters.TryGetValue(manifest, out var upcaster))
        {
            var reader = new Utf8JsonReader(data);
            using var document = JsonDocument.ParseValue(ref reader);
            return upcaster(document.RootElement);
        }

        throw new SerializationException($"unknown manifest '{manifest}': register its type or an upcaster for it");
    }

    private void EnsureManifestFree(string manifest)
    {
        if (_types.ContainsKey(manifest) || _upcasters.ContainsKey(manifest))
        {
            throw new ArgumentException($"manifest '{manifest}' is already registered", nameof(manifest));
        }
    }
}

/// <summary>An event or snapshot as stored: its manifest and UTF-8 JSON.</summary>
public sealed record SerializedPayload(string Manifest, byte[] Data);

/// <summary>A payload could not be written or read; names the manifest or type at fault.</summary>
public sealed class SerializationException(string message) : Exception(message);
