using System.Diagnostics;
using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using Docker.DotNet.Models;
using Nanokit.Core.Config;
using Nanokit.Core.Model;
using Nanokit.Runtime;

namespace Nanokit.Providers.Docker;

// Compose `build` through the Engine API: the context (what .dockerignore leaves, see BuildContextFiles) goes to the
// daemon as a tar, with the Dockerfile, build args and target; the image is tagged with the service's image name and
// labelled with what it was built from, so an unchanged build is not run again and a changed context rebuilds.
public sealed partial class DockerRuntime
{
    /// <summary>On a built image: the digest of what it was built from (context content, Dockerfile, args, target).</summary>
    internal const string BuiltFrom = "io.nanokit.built-from";

    private async Task EnsureBuiltAsync(ProjectRef project, ServiceSpec service, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var build = service.Build!;
        var tag = ContainerDefinition.ImageOf(project.Name, service);
        var wanted = BuildDigest(build);
        var existing = await _engine.FindAsync((client, token) => client.Images.InspectImageAsync(tag, token), cancellationToken).ConfigureAwait(false);
        if (existing?.Config?.Labels is { } labels && labels.ValueOf(BuiltFrom) == wanted)
        {
            return;
        }

        using var context = new MemoryStream();
        await using (var tar = new TarWriter(context, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var relative in BuildContextFiles.List(build.Context, build.Dockerfile))
            {
                await tar.WriteEntryAsync(Path.Combine(build.Context, relative), relative, cancellationToken).ConfigureAwait(false);
            }
        }

        context.Position = 0;
        var parameters = new ImageBuildParameters
        {
            Tags = [tag],
            Dockerfile = build.Dockerfile,
            BuildArgs = build.Args.Where(a => a.Value is not null).ToDictionary(a => a.Key, a => a.Value!, StringComparer.Ordinal),
            Target = build.Target,
            Labels = new Dictionary<string, string>(StringComparer.Ordinal) { [BuiltFrom] = wanted },
            Remove = true,

            // The builder's container of a step that fails stays behind otherwise (docker build's --force-rm is off by default).
            ForceRemove = true,
        };
        string? reported = null;
        var reportedAt = 0L;
        progress?.Report($"building {tag}");
        try
        {
            await _engine.StreamAsync(
                (client, report, token) => client.Images.BuildImageFromDockerfileAsync(parameters, context, null, null, report, token),
                message =>
                {
                    // The builder's output, one step line at a time ("Step 2/4 : COPY . /app"), as often as a person can read it.
                    if (progress is null || message.Stream?.Trim() is not { Length: > 0 } line
                        || (reported is not null && Stopwatch.GetElapsedTime(reportedAt) < PullReportInterval && !line.StartsWith("Step ", StringComparison.Ordinal)))
                    {
                        return;
                    }

                    reported = $"building {tag}: {line}";
                    reportedAt = Stopwatch.GetTimestamp();
                    progress.Report(reported);
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (DockerException e) when (!e.Unreachable)
        {
            throw new DockerException(e.StatusCode, $"cannot build image {tag} from {build.Context}: {e.Message}", e);
        }

        progress?.Report($"built {tag}");
    }

    private static string BuildDigest(BuildSpec build)
    {
        var text = new StringBuilder().Append(build.ContextHash).Append('\n').Append(build.Dockerfile).Append('\n').Append(build.Target).Append('\n');
        foreach (var (key, value) in build.Args)
        {
            text.Append(key).Append('=').Append(value).Append('\n');
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }
}
