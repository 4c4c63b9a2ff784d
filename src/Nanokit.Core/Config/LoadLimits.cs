namespace Nanokit.Core.Config;

/// <summary>
/// Upper bounds on what a load reads and builds, so that a hostile or mistaken input (a 200 MB file,
/// <c>-f /dev/zero</c>, <c>replicas: 1000000000</c>) is a located error instead of minutes of work and gigabytes
/// of memory. Every bound is far above what a real project needs; docs/config-format.md lists them.
/// </summary>
/// <param name="FileBytes">Size of one configuration file (<c>-f</c>, discovered or override file).</param>
/// <param name="EnvFileBytes">Size of one dotenv file: the project <c>.env</c> or an <c>env_file</c>.</param>
/// <param name="EnvFilesBytes">Size of all the distinct <c>env_file</c>s of the project together.</param>
/// <param name="Services">Services in the merged project, before profiles are applied.</param>
/// <param name="ReplicasPerService">Replicas of one service (<c>deploy.replicas</c> or <c>scale</c>).</param>
/// <param name="Replicas">Replicas of all active services together: what a plan and a run hold in memory.</param>
/// <param name="EnvironmentEntries">Variables of one service, <c>env_file</c> entries and <c>environment:</c> together.</param>
/// <param name="ProjectEnvironmentEntries">Variables of all services together (one env_file named by every service counts each time).</param>
/// <param name="PublishedPorts">Port mappings of all services together, ranges expanded (<c>1-65535:1-65535</c> is 65 535).</param>
public sealed record LoadLimits(
    long FileBytes,
    long EnvFileBytes,
    long EnvFilesBytes,
    int Services,
    int ReplicasPerService,
    int Replicas,
    int EnvironmentEntries,
    int ProjectEnvironmentEntries,
    int PublishedPorts)
{
    /// <summary>
    /// The defaults. A 10 000-service project (the design's scale target; about 3.5 MB as the benchmarks write it)
    /// fits every bound; a pathological 4 MiB file still loads in about a second and a few hundred MB.
    /// </summary>
    /// <summary>
    /// When set, the only directory a load may read below: a file named by <c>include</c>, <c>extends.file</c>,
    /// <c>env_file</c> or a <c>build.context</c> elsewhere is a located error. The server sets it to the directory
    /// holding the files a request sent, so a caller cannot read the server's own files (its environment, its keys)
    /// into a spec. The directory holds plain files only, so the check on the normalised path is enough.
    /// </summary>
    public string? ReadsConfinedTo { get; init; }

    /// <summary>Why <paramref name="fullPath"/> may not be read under <see cref="ReadsConfinedTo"/>, or null when it may.</summary>
    public string? Confinement(string fullPath)
    {
        if (ReadsConfinedTo is not { } root)
        {
            return null;
        }

        var (path, top) = (Path.GetFullPath(fullPath), Path.TrimEndingDirectorySeparator(Path.GetFullPath(root)));
        return path == top || path.StartsWith(top + Path.DirectorySeparatorChar, StringComparison.Ordinal)
            ? null
            : "only the files sent with the request can be read here";
    }

    /// <summary><see cref="BoundedFile.Read"/> of a file the configuration names, after the <see cref="Confinement"/> check.</summary>
    public (string? Text, string? Problem) Read(string fullPath, long maxBytes) =>
        Confinement(fullPath) is { } problem ? (null, problem) : BoundedFile.Read(fullPath, maxBytes);

    public static readonly LoadLimits Default = new(
        FileBytes: 4 * 1024 * 1024,
        EnvFileBytes: 1024 * 1024,
        EnvFilesBytes: 32 * 1024 * 1024,
        Services: 10_000,
        ReplicasPerService: 1_000,
        Replicas: 100_000,
        EnvironmentEntries: 1_000,
        ProjectEnvironmentEntries: 200_000,
        PublishedPorts: 2 * 65_536);

    /// <summary>How deep <c>include</c> may nest (a file including a file including…); the main file is depth 0.</summary>
    public int IncludeDepth { get; init; } = 16;

    /// <summary>How long an <c>extends</c> chain may be (a extends b extends c…), within and across files.</summary>
    public int ExtendsDepth { get; init; } = 64;

    /// <summary>Distinct files that <c>include</c> and <c>extends: {file}</c> may read in one load, each bounded by <see cref="FileBytes"/>.</summary>
    public int ReferencedFiles { get; init; } = 256;

    /// <summary>A byte count as the messages write it: <c>4 MiB</c>, <c>512 KiB</c>, <c>100 bytes</c>.</summary>
    internal static string Bytes(long bytes) => bytes switch
    {
        >= 1024 * 1024 when bytes % (1024 * 1024) == 0 => $"{bytes / (1024 * 1024)} MiB",
        >= 1024 when bytes % 1024 == 0 => $"{bytes / 1024} KiB",
        _ => $"{bytes} bytes",
    };
}
