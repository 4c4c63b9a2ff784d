using System.Security.Cryptography;
using System.Text;
using Nanokit.Core.Model;

namespace Nanokit.Providers.Kubernetes;

/// <summary>
/// A service's volumes as a pod mounts them. A named volume (top-level <c>volumes:</c>) is a PersistentVolumeClaim
/// <c>volume-NAME</c> in the project's namespace, ReadWriteOnce, of its <c>driver_opts.size</c> or <see cref="DefaultSize"/>, created before the first pod
/// that mounts it and kept when pods go, as Compose keeps named volumes (<c>down -v</c> deletes them). An anonymous volume is
/// an emptyDir (it lives as long as the pod), a tmpfs an emptyDir of medium Memory. Bind mounts are refused at validate: a
/// pod may run on another machine. <c>read_only</c> is the mount's readOnly.
/// </summary>
internal static class MountedVolumes
{
    /// <summary>
    /// The storage a claim requests when its volume declares no <c>driver_opts.size</c>. Compose sets no size (a Docker
    /// volume grows with its disk), but a claim must name one.
    /// </summary>
    public const string DefaultSize = "1Gi";

    public static string ClaimName(string volume)
    {
        var label = PodDefinition.DnsLabel(volume);
        return label == volume
            ? "volume-" + label
            : "volume-" + label + "-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(volume)))[..8];
    }

    /// <summary>The claims of the service's named volumes, each with the size its volume declares (null: none).</summary>
    public static IEnumerable<(PersistentVolumeClaim Claim, string Volume, string? DeclaredSize)> Claims(string project, ServiceSpec service) =>
        Named(service).DistinctBy(v => v.Source, StringComparer.Ordinal).Select(v => (Claim(project, v.Source!, v.Size ?? DefaultSize), v.Source!, v.Size));

    private static PersistentVolumeClaim Claim(string project, string name, string size) => new()
    {
        Metadata = new ObjectMeta
        {
            Name = ClaimName(name),
            Namespace = PodDefinition.Namespace(project),
            Labels = new Dictionary<string, string>(StringComparer.Ordinal) { [PodDefinition.ManagedBy] = "nanokit", [PodDefinition.Project] = project },
            Annotations = new Dictionary<string, string>(StringComparer.Ordinal) { [VolumeAnnotation] = name },
        },
        Spec = new PersistentVolumeClaimSpec(["ReadWriteOnce"], new VolumeResourceRequirements(new Dictionary<string, string>(StringComparer.Ordinal) { ["storage"] = size })),
    };

    /// <summary>The Compose name of the volume a claim holds (a claim's name may carry a hash).</summary>
    public const string VolumeAnnotation = "nanokit.io/volume";

    public static IEnumerable<Volume> Volumes(ServiceSpec service) =>
        Mounted(service).Select(m => m.Mount.Type == "volume" && m.Mount.Source is { } source
            ? new Volume(m.Name) { PersistentVolumeClaim = new PersistentVolumeClaimVolumeSource(ClaimName(source), m.Mount.ReadOnly) }
            : new Volume(m.Name) { EmptyDir = new EmptyDirVolumeSource(m.Mount.Type == "tmpfs" ? "Memory" : null) });

    public static IEnumerable<VolumeMount> Mounts(ServiceSpec service) =>
        Mounted(service).Select(m => new VolumeMount(m.Name, m.Mount.Target, null, m.Mount.ReadOnly));

    private static IEnumerable<Core.Model.VolumeMount> Named(ServiceSpec service) => service.Volumes.Where(v => v.Type == "volume" && v.Source is not null);

    // Bind mounts never reach here (validate refuses them); the service's tmpfs paths join its volumes as tmpfs mounts.
    private static IEnumerable<(string Name, Core.Model.VolumeMount Mount)> Mounted(ServiceSpec service) =>
        service.Volumes.Where(v => v.Type is "volume" or "tmpfs")
            .Concat(service.Container.Tmpfs.Select(path => new Core.Model.VolumeMount("tmpfs", null, path, false)))
            .Select((mount, i) => ($"volume-{i}", mount));
}
