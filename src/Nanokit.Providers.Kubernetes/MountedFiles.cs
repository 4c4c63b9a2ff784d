using System.Security.Cryptography;
using System.Text;
using Nanokit.Core.Model;

namespace Nanokit.Providers.Kubernetes;

/// <summary>
/// Compose secrets and configs as a pod sees them. Each top-level source becomes one object in the project's namespace,
/// shared by the services that name it: a Secret <c>secret-NAME</c> (type Opaque) or a ConfigMap <c>config-NAME</c>,
/// holding the content under the one key <see cref="Key"/>. Each grant is a volume projecting that key with the grant's
/// mode (Compose's default 0444) and a read-only subPath mount at the grant's target, because Compose mounts a file,
/// not a directory, and a directory mount would hide what the image has beside it. A subPath mount does not follow later
/// changes of the object: new content changes the config hash instead (the loader puts a file's digest, or the inline
/// content, into it), and the replica is re-created. The content is read from the file only here, when a replica is
/// created, and goes nowhere but the API server.
/// </summary>
internal static class MountedFiles
{
    public const string Key = "content";

    /// <summary>Compose's default: readable by everyone, as <c>docker compose</c> mounts them.</summary>
    private const int DefaultMode = 0x124; // 0444

    public static string SecretName(string source) => ObjectName("secret-", source);

    public static string ConfigMapName(string source) => ObjectName("config-", source);

    /// <summary>The Secrets the service's replicas need, content read now from each file.</summary>
    public static IEnumerable<KubeSecret> Secrets(string project, ServiceSpec service) =>
        service.Secrets.DistinctBy(g => g.Source).Select(g => new KubeSecret
        {
            Metadata = Meta(project, SecretName(g.Source)),
            Type = "Opaque",
            Data = new Dictionary<string, byte[]>(StringComparer.Ordinal) { [Key] = Content(g) },
        });

    /// <summary>The ConfigMaps the service's replicas need: text as data, anything that is not UTF-8 as binaryData.</summary>
    public static IEnumerable<ConfigMap> ConfigMaps(string project, ServiceSpec service)
    {
        var strict = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
        foreach (var grant in service.Configs.DistinctBy(g => g.Source))
        {
            var content = Content(grant);
            string? text;
            try
            {
                text = strict.GetString(content);
            }
            catch (DecoderFallbackException)
            {
                text = null;
            }

            yield return new ConfigMap
            {
                Metadata = Meta(project, ConfigMapName(grant.Source)),
                Data = text is null ? null : new Dictionary<string, string>(StringComparer.Ordinal) { [Key] = text },
                BinaryData = text is null ? new Dictionary<string, byte[]>(StringComparer.Ordinal) { [Key] = content } : null,
            };
        }
    }

    public static IEnumerable<Volume> Volumes(ServiceSpec service) =>
        service.Secrets.Select((g, i) => new Volume($"secret-{i}") { Secret = new SecretVolumeSource(SecretName(g.Source), Items(g)) })
            .Concat(service.Configs.Select((g, i) => new Volume($"config-{i}") { ConfigMap = new ConfigMapVolumeSource(ConfigMapName(g.Source), Items(g)) }));

    public static IEnumerable<VolumeMount> Mounts(ServiceSpec service) =>
        service.Secrets.Select((g, i) => new VolumeMount($"secret-{i}", g.Target, Key, ReadOnly: true))
            .Concat(service.Configs.Select((g, i) => new VolumeMount($"config-{i}", g.Target, Key, ReadOnly: true)));

    /// <summary>The Secret and ConfigMap names a pod's volumes refer to.</summary>
    public static IEnumerable<string> Referenced(Pod pod) =>
        (pod.Spec.Volumes ?? []).Select(v => v.Secret?.SecretName ?? v.ConfigMap?.Name).OfType<string>();

    private static List<KeyToPath> Items(FileGrant grant) => [new KeyToPath(Key, Key, grant.Mode ?? DefaultMode)];

    // The loader has checked that the file exists; one that went away since is the create's error, naming the file.
    private static byte[] Content(FileGrant grant) => grant.Definition switch
    {
        { Content: { } inline } => Encoding.UTF8.GetBytes(inline),
        { File: { } path } => File.ReadAllBytes(path),
        _ => throw new InvalidOperationException($"{grant.Source} has neither a file nor content; validation refuses such a source on runtime kubernetes"),
    };

    private static ObjectMeta Meta(string project, string name) => new()
    {
        Name = name,
        Namespace = PodDefinition.Namespace(project),
        Labels = new Dictionary<string, string>(StringComparer.Ordinal) { [PodDefinition.ManagedBy] = "nanokit", [PodDefinition.Project] = project },
    };

    // Two sources whose names differ only where a DNS label cannot follow them (db_pw, db-pw) keep apart by a short hash.
    private static string ObjectName(string prefix, string source)
    {
        var label = PodDefinition.DnsLabel(source);
        return label == source
            ? prefix + label
            : prefix + label + "-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(source)))[..8];
    }
}
