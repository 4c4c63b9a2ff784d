using System.Collections.Immutable;
using Grpc.Core;
using Nanokit.Core.Config;
using Nanokit.Core.Diagnostics;
using Nanokit.Core.Graph;
using Nanokit.Core.Model;
using Nanokit.Server.Api.V1;

namespace Nanokit.Server.Api;

/// <summary>
/// Turns an <see cref="ApplyProjectRequest"/> into a resolved project with the CLI's own loader and graph check: the
/// files are written under their own names to a private scratch directory (under <c>limits.scratch-directory</c>),
/// loaded, and the directory removed. The
/// server's environment never reaches interpolation (only the request's .env does), and the load reads no file outside
/// that directory (include, extends.file, env_file, build.context: <see cref="LoadLimits.ReadsConfinedTo"/>). Every error comes back in one
/// INVALID_ARGUMENT, each as <c>file:line:col: message</c> with the file named as the caller named it.
/// </summary>
internal static class SpecLoader
{
    /// <summary>Files one request may carry: as many as the loader reads through include and extends.</summary>
    public static readonly int MaxFiles = LoadLimits.Default.ReferencedFiles;

    /// <summary>A file name's longest form in bytes (NAME_MAX of Linux file systems).</summary>
    private const int MaxFileNameBytes = 255;

    public static ProjectSpec Load(ApplyProjectRequest request, string projectsDirectory, string scratchRoot)
    {
        if (request.Files.Count == 0)
        {
            throw Invalid("no files: send nanokit.yml (or compose.yaml) and any override files");
        }

        // Checked before anything is written: the scratch directory gets one file per entry.
        if (request.Files.Count > MaxFiles)
        {
            throw Invalid($"{request.Files.Count} files: at most {MaxFiles} (the main file and its overrides) are accepted");
        }

        // Private to this user, as Directory.CreateTempSubdirectory makes it: the files may carry secrets.
        var directory = Path.Combine(scratchRoot, $"nanokit-apply-{Guid.NewGuid():N}");
        var scratch = OperatingSystem.IsWindows()
            ? Directory.CreateDirectory(directory)
            : Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        try
        {
            var paths = ImmutableArray.CreateBuilder<string>();
            foreach (var file in request.Files)
            {
                var path = Path.Combine(scratch.FullName, SafeName(file.Name));
                if (File.Exists(path))
                {
                    throw Invalid($"{file.Name}: sent twice");
                }

                File.WriteAllBytes(path, file.Content.ToByteArray());
                paths.Add(path);
            }

            if (request.EnvFile is { } env)
            {
                File.WriteAllBytes(Path.Combine(scratch.FullName, ".env"), env.Content.ToByteArray());
            }

            var options = new ProjectLoadOptions(
                paths.ToImmutable(),
                scratch.FullName,
                request.Environment is { Length: > 0 } e ? e : null,
                [.. request.Profiles],
                ImmutableDictionary<string, string>.Empty,
                request.ProjectName is { Length: > 0 } n ? n : null)
            {
                // include, extends.file, env_file and build.context read only what the request sent, never the server's files.
                Limits = LoadLimits.Default with { ReadsConfinedTo = scratch.FullName },
            };
            try
            {
                var spec = ProjectLoader.Load(options);
                GraphEngine.Build(spec);
                // Paths were resolved against the scratch directory; the project runs in its own directory on its owner.
                return WithoutPassThrough(spec) with { WorkingDirectory = Path.Combine(projectsDirectory, spec.Name) };
            }
            catch (ConfigException failed)
            {
                throw Invalid(string.Join("\n", failed.Errors.Select(error => Relative(error, scratch.FullName))));
            }
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    /// <summary>
    /// Compose passes a variable declared without a value (<c>environment: [FOO]</c>) through from the shell that runs it,
    /// and a runtime resolves it where the replica is created. On a server that shell is the node: its store connection
    /// string, tokens and cloud credentials would reach any container a write token deploys. Over the API there is no
    /// caller's shell, so such a variable stays unset, in the service and in its lifecycle hooks (a value the request
    /// gives, inline or through .env interpolation, is kept).
    /// </summary>
    internal static ProjectSpec WithoutPassThrough(ProjectSpec spec)
    {
        static ImmutableSortedDictionary<string, string?> Given(ImmutableSortedDictionary<string, string?> environment) =>
            environment.Values.Any(v => v is null) ? environment.Where(e => e.Value is not null).ToImmutableSortedDictionary(StringComparer.Ordinal) : environment;

        static ImmutableArray<LifecycleHook> GivenIn(ImmutableArray<LifecycleHook> hooks) => [.. hooks.Select(h => h with { Environment = Given(h.Environment) })];

        return spec with
        {
            Services = spec.Services.ToImmutableSortedDictionary(
                s => s.Key,
                s => s.Value with
                {
                    Environment = Given(s.Value.Environment),
                    Container = s.Value.Container with { PostStart = GivenIn(s.Value.Container.PostStart), PreStop = GivenIn(s.Value.Container.PreStop) },
                },
                spec.Services.KeyComparer),
        };
    }

    private static string SafeName(string name)
    {
        // The name becomes a file in the scratch directory: no separators, no control characters (NUL ends a path),
        // and short enough for a file system's name limit, so a bad name is this error and not an I/O failure.
        return name.Length == 0 || name is "." or ".." || name.Contains('/') || name.Contains('\\') || name.StartsWith(".env", StringComparison.Ordinal)
            || name.Any(char.IsControl) || System.Text.Encoding.UTF8.GetByteCount(name) > MaxFileNameBytes
            ? throw Invalid($"file name \"{Printable(name)}\" is not usable: give a plain file name such as nanokit.yml (at most {MaxFileNameBytes} bytes, no control characters)")
            : name;
    }

    /// <summary>The name as an error message may quote it: control characters escaped, at most 80 characters.</summary>
    private static string Printable(string name)
    {
        var escaped = string.Concat(name.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
        return escaped.Length > 80 ? escaped[..80] + "…" : escaped;
    }

    private static string Relative(ConfigError error, string scratch) =>
        error.ToString().Replace(scratch + Path.DirectorySeparatorChar, "", StringComparison.Ordinal);

    private static RpcException Invalid(string detail) => new(new Status(StatusCode.InvalidArgument, detail));
}
