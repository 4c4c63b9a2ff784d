using System.Collections.Frozen;
using System.Security.Cryptography;

namespace Nanokit.Server.Hub;

/// <summary>
/// The Hub's static files, embedded in this assembly under <c>Nanokit.Server.Hub/</c> (see the project file) and read
/// once: a node serves them from memory, with an ETag so a browser revalidates instead of downloading again.
/// </summary>
internal sealed class HubAssets
{
    private const string Prefix = "Nanokit.Server.Hub/";

    private static readonly FrozenDictionary<string, string> ContentTypes = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [".html"] = "text/html; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".svg"] = "image/svg+xml",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private readonly FrozenDictionary<string, HubAsset> assets;

    private HubAssets(FrozenDictionary<string, HubAsset> assets)
    {
        this.assets = assets;
    }

    public static HubAssets Load()
    {
        var assembly = typeof(HubAssets).Assembly;
        var assets = new Dictionary<string, HubAsset>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            var path = name[Prefix.Length..];
            if (!ContentTypes.TryGetValue(Path.GetExtension(path), out var contentType))
            {
                throw new InvalidOperationException($"the Hub asset {path} has no known content type");
            }

            using var stream = assembly.GetManifestResourceStream(name)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var content = copy.ToArray();
            assets[path] = new HubAsset(content, contentType, $"\"{Convert.ToHexStringLower(SHA256.HashData(content))[..16]}\"");
        }

        return new HubAssets(assets.ToFrozenDictionary(StringComparer.Ordinal));
    }

    /// <summary>The file at <paramref name="path"/> (relative to wwwroot, "" for index.html); null when there is none.</summary>
    public HubAsset? Find(string path) => assets.GetValueOrDefault(path.Length == 0 ? "index.html" : path);
}

internal sealed record HubAsset(byte[] Content, string ContentType, string ETag);
