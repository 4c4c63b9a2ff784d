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
/// files are written under their own names to a private scratch directory, loaded, and the directory removed. The
/// server's environment never reaches interpolation (only the request's .env does). Every error comes back in one
/// INVALID_ARGUMENT, each as <c>file:line:col: message</c> with the file named as the caller named it.
/// </summary>
internal static class SpecLoader
{
    public static ProjectSpec Load(ApplyProjectRequest request, string projectsDirectory)
    {
        if (request.Files.Count == 0)
        {
            throw Invalid("no files: send nanokit.yml (or compose.yaml) and any override files");
        }

        var scratch = Directory.CreateTempSubdirectory("nanokit-apply-");
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
                request.ProjectName is { Length: > 0 } n ? n : null);
            try
            {
                var spec = ProjectLoader.Load(options);
                GraphEngine.Build(spec);
                // Paths were resolved against the scratch directory; the project runs in its own directory on its owner.
                return spec with { WorkingDirectory = Path.Combine(projectsDirectory, spec.Name) };
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

    private static string SafeName(string name)
    {
        return name.Length == 0 || name is "." or ".." || name.Contains('/') || name.Contains('\\') || name.StartsWith(".env", StringComparison.Ordinal)
            ? throw Invalid($"file name \"{name}\" is not usable: give a plain file name such as nanokit.yml")
            : name;
    }

    private static string Relative(ConfigError error, string scratch) =>
        error.ToString().Replace(scratch + Path.DirectorySeparatorChar, "", StringComparison.Ordinal);

    private static RpcException Invalid(string detail) => new(new Status(StatusCode.InvalidArgument, detail));
}
