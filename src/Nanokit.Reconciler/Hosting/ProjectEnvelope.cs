namespace Nanokit.Reconciler.Hosting;

/// <summary>
/// Nanokit's one envelope: a message for the project entity <paramref name="ProjectId"/>. Every command to a project
/// travels in it, so where the entity lives (this process's <see cref="ProjectRegion"/>, or a shard region of a
/// cluster) is the only thing that differs between an embedded node and a server node.
/// </summary>
public sealed record ProjectEnvelope(string ProjectId, object Message);
