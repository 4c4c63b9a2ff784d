using System.Collections.Immutable;

namespace Nanokit.Core.Model;

/// <summary>
/// Compose <c>build</c>: the image is built from <see cref="Context"/> (an absolute directory) with its
/// <see cref="Dockerfile"/> (relative to the context), build <see cref="Args"/> and <see cref="Target"/> stage, and tagged
/// with the service's image name. <see cref="ContextHash"/> digests every file the build can see (after .dockerignore),
/// so a change in the context changes the service's config hash and the plan recreates it, saying why.
/// </summary>
public sealed record BuildSpec(string Context, string Dockerfile, ImmutableSortedDictionary<string, string?> Args, string? Target, string ContextHash);
