using System.Collections.Frozen;
using System.Text.Json;
using Akka.Actor;
using Akka.Configuration;
using Akka.Serialization;

namespace Nanokit.Reconciler.Persistence;

/// <summary>
/// Writes the reconciler's events and snapshots as JSON under the manifests listed in
/// <c>akka.actor.serialization-settings.nanokit.manifests</c> (hocon/akka.conf). The CLR name of a type never reaches
/// the database, so a type can be renamed or moved by changing that list; an unknown manifest or type is an error
/// naming it, never a silent skip.
/// </summary>
public sealed class ReconcilerSerializer : SerializerWithStringManifest
{
    internal const string ManifestsPath = "akka.actor.serialization-settings.nanokit.manifests";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly FrozenDictionary<string, Type> types;
    private readonly FrozenDictionary<Type, string> manifests;

    /// <param name="settings">Akka passes <c>akka.actor.serialization-settings.nanokit</c>.</param>
    public ReconcilerSerializer(ExtendedActorSystem system, Config settings)
        : base(system)
    {
        var listed = settings.GetConfig("manifests")
            ?? throw new InvalidOperationException($"{ManifestsPath} is missing from the actor system's configuration");
        var byManifest = new Dictionary<string, Type>(StringComparer.Ordinal);
        foreach (var (manifest, value) in listed.AsEnumerable())
        {
            var typeName = value.GetString();
            byManifest[manifest] = Type.GetType(typeName)
                ?? throw new InvalidOperationException($"{ManifestsPath}: manifest '{manifest}' names type '{typeName}', which does not exist");
        }

        types = byManifest.ToFrozenDictionary(StringComparer.Ordinal);
        manifests = byManifest.ToFrozenDictionary(p => p.Value, p => p.Key);
    }

    public override string Manifest(object o) =>
        manifests.TryGetValue(o.GetType(), out var manifest)
            ? manifest
            : throw new SerializationException($"{o.GetType().FullName} has no manifest: list it under {ManifestsPath}");

    public override byte[] ToBinary(object obj) => JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), Json);

    public override object FromBinary(byte[] bytes, string manifest) =>
        types.TryGetValue(manifest, out var type)
            ? JsonSerializer.Deserialize(bytes, type, Json) ?? throw new SerializationException($"manifest '{manifest}' holds JSON null")
            : throw new SerializationException($"unknown manifest '{manifest}': list its type under {ManifestsPath}");
}

/// <summary>A payload could not be written or read; names the manifest or type at fault.</summary>
public sealed class SerializationException(string message) : Exception(message);
