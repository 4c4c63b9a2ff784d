using Akka.Cluster.Sharding;
using Nanokit.Reconciler.Hosting;

namespace Nanokit.Server.Cluster;

/// <summary>The key of the project shard region in Akka.Hosting's actor registry.</summary>
public sealed class ProjectShards
{
    /// <summary>The region's type name: also the prefix of its remember-entities persistence ids. Never change it.</summary>
    public const string TypeName = "project";
}

/// <summary>
/// Routes a <see cref="ProjectEnvelope"/> to its project entity: the entity id is the project name, its shard a hash
/// of it (so <c>number-of-shards</c> is fixed for a cluster's life; <c>StartEntity</c> is Akka's to route). The same envelope the embedded CLI uses, so the entity code path is one.
/// </summary>
internal sealed class ProjectMessageExtractor(int shards) : HashCodeMessageExtractor(shards)
{
    public override string? EntityId(object message) => (message as ProjectEnvelope)?.ProjectId;

    public override object? EntityMessage(object message) => (message as ProjectEnvelope)?.Message ?? message;
}
