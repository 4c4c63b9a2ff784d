using System.Diagnostics;
using Docker.DotNet.Models;
using Nanokit.Core.Model;
using Nanokit.Runtime;

namespace Nanokit.Providers.Docker;

// What a container needs before it runs (its image, named volumes, the project's network), and running it.
// The project network is created on demand and removed with the project's last container, as Compose's up and down do;
// containers carry the project label, so "the last one" is a list call away and needs no state of ours.
public sealed partial class DockerRuntime
{
    /// <summary>A pull's progress line is a person's to read: twice a second is as often as one can.</summary>
    private static readonly TimeSpan PullReportInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Creates and starts a container. One that fails to start is removed, so nothing half-made holds the name: the start is
    /// where Docker reports most mistakes (a host port already allocated, a bind mount of the wrong type, a missing network).
    /// A project network removed since it was ensured (the project's last container went in between) is ensured again, once.
    /// <paramref name="createToken"/> guards the create request alone: a caller that must not orphan what it creates passes one
    /// that is not cancelled with it. <paramref name="beforeStart"/>, when given, runs between each create and its start
    /// (a one-off attaches there, so it misses none of the command's output).
    /// </summary>
    private async Task RunContainerAsync(
        ProjectRef project, ServiceSpec service, string name, CreateContainerParameters request, CancellationToken createToken, CancellationToken cancellationToken,
        Func<CancellationToken, Task>? beforeStart = null)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await CreateContainerAsync(project, service, name, request, createToken, cancellationToken).ConfigureAwait(false);
            }
            catch (DockerException e) when (attempt == 1 && IsMissingProjectNetwork(e, project, service))
            {
                continue;
            }

            try
            {
                if (beforeStart is not null)
                {
                    await beforeStart(cancellationToken).ConfigureAwait(false);
                }

                await StartContainerAsync(name, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception e)
            {
                await RemoveQuietlyAsync(name).ConfigureAwait(false);
                if (attempt == 1 && e is DockerException docker && IsMissingProjectNetwork(docker, project, service))
                {
                    continue;
                }

                throw;
            }
        }
    }

    /// <summary>Creates a container, not started, on the networks its service joins (ensured first).</summary>
    private async Task CreateContainerAsync(
        ProjectRef project, ServiceSpec service, string name, CreateContainerParameters request, CancellationToken createToken, CancellationToken cancellationToken)
    {
        var networks = ContainerDefinition.Networks(project.Name, service);
        foreach (var network in networks)
        {
            await EnsureNetworkAsync(project.Name, network, cancellationToken).ConfigureAwait(false);
        }

        request.Name = name;
        await _engine.CallAsync((client, token) => client.Containers.CreateContainerAsync(request, token), createToken).ConfigureAwait(false);

        // Before API 1.44 a create takes one network: the others are joined before the start.
        foreach (var network in networks.Skip(1))
        {
            var connect = new NetworkConnectParameters { Container = name, EndpointConfig = ContainerDefinition.Endpoint(service, network.Attachment) };
            await _engine.CallAsync((client, token) => client.Networks.ConnectNetworkAsync(network.Name, connect, token), createToken).ConfigureAwait(false);
        }
    }

    /// <summary>Removes (killing) what a failed step left, keeping the step's error as the one to report.</summary>
    private async Task RemoveQuietlyAsync(string container)
    {
        try
        {
            await RemoveAsync(container, stopFirst: false, CancellationToken.None).ConfigureAwait(false);
        }
        catch (DockerException)
        {
            // The daemon cannot even remove it: the slot's next create (or the next hook's sweep) will.
        }
    }

    private static bool IsMissingProjectNetwork(DockerException e, ProjectRef project, ServiceSpec service) =>
        e.StatusCode == 404 && ContainerDefinition.Networks(project.Name, service)
            .Any(n => n.Definition?.External != true && e.Message.Contains("network " + n.Name, StringComparison.Ordinal));

    /// <summary>
    /// Creates a network of the project unless it exists, with its declaration's driver and options; an external network
    /// must exist already. Creates are serialized per network in this process, and the daemon refuses a duplicate name from another one.
    /// </summary>
    private async Task EnsureNetworkAsync(string project, ContainerDefinition.JoinedNetwork joined, CancellationToken cancellationToken)
    {
        var network = joined.Name;
        if (await NetworkExistsAsync(network, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        if (joined.Definition?.External == true)
        {
            throw new DockerException(404, $"external network {network} (networks.{joined.Key}) not found; create it first, e.g. docker network create {network}");
        }

        using var gate = await LockAsync("network " + network, cancellationToken).ConfigureAwait(false);
        if (await NetworkExistsAsync(network, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        var definition = joined.Definition;
        var labels = new Dictionary<string, string>(definition?.Labels ?? System.Collections.Immutable.ImmutableSortedDictionary<string, string>.Empty, StringComparer.Ordinal)
        {
            [ContainerDefinition.Project] = project,
            [ContainerDefinition.Network] = joined.Key,
        };
        var request = new NetworksCreateParameters
        {
            Name = network,
            Driver = definition?.Driver ?? "bridge",
            Labels = labels,
            Options = definition is { DriverOpts.IsEmpty: false } ? definition.DriverOpts.ToDictionary(StringComparer.Ordinal) : null!,
            Internal = definition?.Internal == true,
            Attachable = definition?.Attachable == true,
            EnableIPv6 = definition?.EnableIpv6 == true ? true : null,
        };
        try
        {
            await _engine.CallAsync((client, token) => client.Networks.CreateNetworkAsync(request, token), cancellationToken).ConfigureAwait(false);
        }
        catch (DockerException e) when (e.StatusCode == 409)
        {
            // Another process created it in between.
        }
    }

    private async Task<bool> NetworkExistsAsync(string network, CancellationToken cancellationToken) =>
        await _engine.FindAsync((client, token) => client.Networks.InspectNetworkAsync(network, token), cancellationToken).ConfigureAwait(false) is not null;

    /// <summary>
    /// Removes the project's networks once no container of the project is left. A container created meanwhile keeps it
    /// (403 "has active endpoints", or 409), or finds it gone and ensures it again (<see cref="RunContainerAsync"/>).
    /// </summary>
    private async Task RemoveProjectNetworkIfUnusedAsync(string project, CancellationToken cancellationToken)
    {
        var label = ContainerDefinition.Project + "=" + project;
        var containers = await _engine.CallAsync(
            (client, token) => client.Containers.ListContainersAsync(
                new ContainersListParameters { All = true, Limit = 1, Filters = DockerEngine.Filters(("label", label)) }, token),
            cancellationToken).ConfigureAwait(false);
        if (containers.Count != 0)
        {
            return;
        }

        // By label: a network Nanokit did not create (an external one, another project's) is not Nanokit's to remove.
        var networks = await _engine.CallAsync(
            (client, token) => client.Networks.ListNetworksAsync(
                new NetworksListParameters { Filters = DockerEngine.Filters(("label", label), ("label", ContainerDefinition.Network)) }, token),
            cancellationToken).ConfigureAwait(false);
        foreach (var found in networks)
        {
            try
            {
                await _engine.CallAsync((client, token) => client.Networks.DeleteNetworkAsync(found.ID, token), cancellationToken).ConfigureAwait(false);
            }
            catch (DockerException e) when (e.StatusCode is 403 or 404 or 409)
            {
                // In use again, or removed by another: either is fine.
            }
        }
    }

    /// <summary>Ensures the image and named volumes; <paramref name="progress"/> hears how a pull goes (null: nobody watches).</summary>
    private async Task PrepareAsync(ProjectRef project, ServiceSpec service, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        if (service.Build is not null)
        {
            await EnsureBuiltAsync(project, service, progress, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await EnsureImageAsync(service, progress, cancellationToken).ConfigureAwait(false);
        }

        await EnsureVolumesAsync(project, service, cancellationToken).ConfigureAwait(false);
    }

    private async Task EnsureImageAsync(ServiceSpec service, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var image = service.Image!;
        if (service.PullPolicy != PullPolicy.Always
            && await _engine.FindAsync((client, token) => client.Images.InspectImageAsync(image, token), cancellationToken).ConfigureAwait(false) is not null)
        {
            return;
        }

        if (service.PullPolicy == PullPolicy.Never)
        {
            throw new DockerException(404, $"image {image} not present and pull_policy is never");
        }

        await PullAsync(image, service.Container.Platform, progress, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Pulls an image; the daemon streams JSON progress lines, and a failure mid-pull arrives as an "error" line, not a status.
    /// The summary is reported as the pull starts, then at most once per <see cref="PullReportInterval"/> (a pull of many
    /// layers sends dozens of lines a second), and at the end unless the last report already says it.
    /// </summary>
    private async Task PullAsync(string image, string? platform, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var (repository, tag) = SplitImage(image);
        var parameters = new ImagesCreateParameters { FromImage = repository, Tag = tag, Platform = platform };
        var summary = new PullSummary(image);
        string? reported = null;
        var reportedAt = 0L;
        try
        {
            await _engine.StreamAsync((client, report, token) => client.Images.CreateImageAsync(parameters, null, report, token), message =>
            {
                summary.Apply(message);
                if (progress is not null && (reported is null || Stopwatch.GetElapsedTime(reportedAt) >= PullReportInterval))
                {
                    reported = summary.Summary;
                    reportedAt = Stopwatch.GetTimestamp();
                    progress.Report(reported);
                }
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (DockerException e) when (!e.Unreachable)
        {
            throw new DockerException(e.StatusCode, $"cannot pull image {image}: {e.Message}", e);
        }

        if (progress is not null && summary.Summary != reported)
        {
            progress.Report(summary.Summary);
        }
    }

    private static (string Repository, string Tag) SplitImage(string image)
    {
        if (image.Contains('@', StringComparison.Ordinal))
        {
            return (image, "");
        }

        var colon = image.LastIndexOf(':');
        return colon > image.LastIndexOf('/') ? (image[..colon], image[(colon + 1)..]) : (image, "latest");
    }

    private async Task EnsureVolumesAsync(ProjectRef project, ServiceSpec service, CancellationToken cancellationToken)
    {
        foreach (var volume in ContainerDefinition.NamedVolumes(service))
        {
            // Creating an existing volume with the same driver is a no-op in Docker, so this stays idempotent.
            var labels = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [ContainerDefinition.Project] = project.Name,
                [ContainerDefinition.Volume] = volume,
            };
            var request = new VolumesCreateParameters { Name = ContainerDefinition.VolumeName(project.Name, volume), Labels = labels };
            await _engine.CallAsync((client, token) => client.Volumes.CreateAsync(request, token), cancellationToken).ConfigureAwait(false);
        }
    }
}
