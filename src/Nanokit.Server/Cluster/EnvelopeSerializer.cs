using System.Text;
using Akka.Actor;
using Akka.Serialization;
using Nanokit.Reconciler.Hosting;

namespace Nanokit.Server.Cluster;

/// <summary>
/// Carries a <see cref="ProjectEnvelope"/> between nodes: the project id, then the inner message as its own bound
/// serializer writes it (serializer id, manifest, bytes), so each command keeps its explicit manifest.
/// </summary>
public sealed class EnvelopeSerializer(ExtendedActorSystem actorSystem) : SerializerWithStringManifest(actorSystem)
{
    private const string EnvelopeManifest = "E";

    public override string Manifest(object o) => o is ProjectEnvelope
        ? EnvelopeManifest
        : throw new ArgumentException($"{o.GetType()} is not a {nameof(ProjectEnvelope)}", nameof(o));

    public override byte[] ToBinary(object obj)
    {
        var envelope = (ProjectEnvelope)obj;
        var inner = system.Serialization.FindSerializerFor(envelope.Message);
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(envelope.ProjectId);
            writer.Write(inner.Identifier);
            writer.Write(Akka.Serialization.Serialization.ManifestFor(inner, envelope.Message));
            var payload = inner.ToBinary(envelope.Message);
            writer.Write(payload.Length);
            writer.Write(payload);
        }

        return buffer.ToArray();
    }

    public override object FromBinary(byte[] bytes, string manifest)
    {
        using var reader = new BinaryReader(new MemoryStream(bytes), Encoding.UTF8);
        var id = reader.ReadString();
        var serializerId = reader.ReadInt32();
        var innerManifest = reader.ReadString();
        var payload = reader.ReadBytes(reader.ReadInt32());
        return new ProjectEnvelope(id, system.Serialization.Deserialize(payload, serializerId, innerManifest));
    }
}
