using Docker.DotNet.Models;
using Nanokit.Core.Model;

namespace Nanokit.Providers.Docker.Tests;

/// <summary>
/// Right after <c>docker rm -f</c> the daemon still answers an inspect, with status "removing" and exit code 137 (seen on
/// the private dockerd), until the removal ends. A heal that observed that as an exit would plan a start, which fails
/// until the container is gone (the failed heal its retry then fixed); it must plan a create.
/// </summary>
public sealed class RemovalRaceTests
{
    [Theory]
    [InlineData("removing", ReplicaState.Missing, null)]
    [InlineData("dead", ReplicaState.Missing, null)]
    [InlineData("exited", ReplicaState.Exited, 137)]
    public void A_container_the_daemon_is_removing_is_observed_missing_and_one_that_exited_stays_exited(string status, ReplicaState state, int? exitCode)
    {
        var container = new ContainerInspectResponse
        {
            ID = "c0ffee",
            Name = "/shop-web-1",
            State = new() { Status = status, Running = false, ExitCode = 137 },
            Config = new()
            {
                Labels = new Dictionary<string, string>
                {
                    [ContainerDefinition.Project] = "shop",
                    [ContainerDefinition.Service] = "web",
                    [ContainerDefinition.Replica] = "1",
                    [ContainerDefinition.ConfigHash] = "hash",
                },
            },
        };

        var observed = DockerRuntime.ToObserved(container);

        Assert.Equal(("web", 1, state, exitCode), (observed!.Service, observed.Replica, observed.State, observed.ExitCode));
    }
}
