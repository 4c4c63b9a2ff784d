using System.Collections.Immutable;
using Nanokit.Core.Config;
using Nanokit.Core.Model;
using Nanokit.Runtime;

namespace Nanokit.Providers.Docker.Tests;

/// <summary>The Compose keys as the daemon applies them: each test loads a Compose file and reads the container's inspect.</summary>
public sealed class DockerComposeKeysTests
{
    private const string Loop = "[sh, -c, \"trap 'exit 0' TERM; while :; do sleep 0.2; done\"]";

    private static ProjectSpec Compose(DockerProject p, string yaml) =>
        ProjectLoader.Parse([(Path.Combine(p.Project.Directory, "compose.yml"), yaml)], new ProjectLoadOptions([], p.Project.Directory, null, [], new Dictionary<string, string>()));

    private static Task<string> InspectAsync(string container, string format) => DockerProject.DockerCliAsync("inspect", "-f", format, container);

    [Fact]
    public async Task Every_container_key_reaches_the_containers_inspect()
    {
        await using var p = await DockerProject.StartAsync();
        var web = Compose(p, $$"""
            services:
              web:
                image: {{DockerProject.Image1}}
                command: {{Loop}}
                pull_policy: never
                hostname: web1
                domainname: example.org
                user: "0:1000"
                stop_signal: SIGUSR1
                tty: true
                stdin_open: true
                read_only: true
                runtime: runc
                ipc: shareable
                mac_address: 02:42:ac:11:00:42
                shm_size: 32m
                oom_score_adj: 300
                cap_add: [NET_ADMIN]
                cap_drop: [MKNOD]
                dns: [10.0.0.53]
                dns_search: [svc.example.org]
                security_opt: ["no-new-privileges:true"]
                group_add: ["2000"]
                expose: ["9000-9001"]
                tmpfs: ["/scratch:size=1m"]
                devices: ["/dev/null:/dev/nothing:r"]
                extra_hosts: ["db.local:10.0.0.5"]
                sysctls: {net.core.somaxconn: "1024"}
                ulimits:
                  nofile: {soft: 1000, hard: 2000}
                logging:
                  driver: json-file
                  options: {max-size: 1m}
                deploy:
                  resources:
                    reservations: {memory: 16m}
            """).Services["web"];

        var created = await p.Runtime.CreateAsync(p.Replica(web), DockerProject.Timeout());

        Assert.Equal(ReplicaState.Running, created.State);
        Assert.Equal(
            "web1 example.org 0:1000 SIGUSR1 true true 02:42:ac:11:00:42 map[9000/tcp:{} 9001/tcp:{}]",
            (await InspectAsync(created.Id!, "{{.Config.Hostname}} {{.Config.Domainname}} {{.Config.User}} {{.Config.StopSignal}} {{.Config.Tty}} {{.Config.OpenStdin}} {{.Config.MacAddress}} {{.Config.ExposedPorts}}")).Trim());
        Assert.Equal(
            "true runc shareable 33554432 300 [NET_ADMIN] [MKNOD] [10.0.0.53] [svc.example.org] [no-new-privileges:true] [2000] [db.local:10.0.0.5] 16777216",
            (await InspectAsync(created.Id!, "{{.HostConfig.ReadonlyRootfs}} {{.HostConfig.Runtime}} {{.HostConfig.IpcMode}} {{.HostConfig.ShmSize}} {{.HostConfig.OomScoreAdj}} {{.HostConfig.CapAdd}} {{.HostConfig.CapDrop}} {{.HostConfig.Dns}} {{.HostConfig.DnsSearch}} {{.HostConfig.SecurityOpt}} {{.HostConfig.GroupAdd}} {{.HostConfig.ExtraHosts}} {{.HostConfig.MemoryReservation}}")).Trim());
        Assert.Equal(
            "map[/scratch:size=1m] /dev/null>/dev/nothing:r map[net.core.somaxconn:1024] nofile=1000:2000 json-file map[max-size:1m]",
            (await InspectAsync(created.Id!, "{{.HostConfig.Tmpfs}} {{range .HostConfig.Devices}}{{.PathOnHost}}>{{.PathInContainer}}:{{.CgroupPermissions}}{{end}} {{.HostConfig.Sysctls}} {{range .HostConfig.Ulimits}}{{.Name}}={{.Soft}}:{{.Hard}}{{end}} {{.HostConfig.LogConfig.Type}} {{.HostConfig.LogConfig.Config}}")).Trim());
    }

    [Fact]
    public async Task Networks_are_created_with_their_options_joined_with_aliases_and_removed_with_the_last_replica()
    {
        await using var p = await DockerProject.StartAsync();
        var proxy = p.Project.Name + "-proxy";
        await DockerProject.DockerCliAsync("network", "create", proxy);
        try
        {
            var web = Compose(p, $$"""
                services:
                  web:
                    image: {{DockerProject.Image1}}
                    command: {{Loop}}
                    pull_policy: never
                    networks:
                      back: {aliases: [api, www]}
                      front: {priority: 10}
                      edge: {}
                networks:
                  back:
                    internal: true
                    driver_opts: {com.docker.network.driver.mtu: "1400"}
                    labels: {tier: data}
                  front: {}
                  edge: {external: true, name: {{proxy}}}
                """).Services["web"];

            var created = await p.Runtime.CreateAsync(p.Replica(web), DockerProject.Timeout());

            Assert.Equal(ReplicaState.Running, created.State);
            var back = p.Project.Name + "_back";
            var front = p.Project.Name + "_front";
            Assert.Equal(front, (await InspectAsync(created.Id!, "{{.HostConfig.NetworkMode}}")).Trim());
            var aliases = (await InspectAsync(created.Id!, "{{range $k, $v := .NetworkSettings.Networks}}{{$k}}={{join $v.Aliases \",\"}}\n{{end}}"))
                .Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .ToDictionary(l => l[..l.IndexOf('=', StringComparison.Ordinal)], l => l[(l.IndexOf('=', StringComparison.Ordinal) + 1)..].Split(',').ToHashSet());
            Assert.Equal([proxy, back, front], aliases.Keys.Order(StringComparer.Ordinal));
            Assert.Superset(new HashSet<string> { "web", "api", "www" }, aliases[back]);
            Assert.Contains("web", aliases[front]);
            Assert.DoesNotContain("api", aliases[front]);
            Assert.Contains("web", aliases[proxy]);
            Assert.Equal(
                "true 1400 data back",
                (await DockerProject.DockerCliAsync("network", "inspect", "-f", "{{.Internal}} {{index .Options \"com.docker.network.driver.mtu\"}} {{index .Labels \"tier\"}} {{index .Labels \"io.nanokit.network\"}}", back)).Trim());

            await p.Runtime.DeleteAsync(p.Id("web"), null, DockerProject.Timeout());
            Assert.Empty(await p.NetworkNamesAsync());
            Assert.Equal(proxy, (await DockerProject.DockerCliAsync("network", "inspect", "-f", "{{.Name}}", proxy)).Trim());
        }
        finally
        {
            await DockerProject.TryDockerCliAsync("network", "rm", proxy);
        }
    }

    [Fact]
    public async Task A_missing_external_network_fails_the_create_naming_it()
    {
        await using var p = await DockerProject.StartAsync();
        var web = Compose(p, $"services:\n  web:\n    image: {DockerProject.Image1}\n    pull_policy: never\n    networks: [edge]\nnetworks:\n  edge: {{external: true, name: {p.Project.Name}-nowhere}}\n").Services["web"];

        var error = await Assert.ThrowsAsync<RuntimeException>(() => p.Runtime.CreateAsync(p.Replica(web), DockerProject.Timeout()));

        Assert.Contains($"external network {p.Project.Name}-nowhere (networks.edge) not found", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Secrets_and_configs_are_files_mounted_read_only_at_their_compose_paths()
    {
        await using var p = await DockerProject.StartAsync();
        await File.WriteAllTextAsync(Path.Combine(p.Project.Directory, "pw.txt"), "hunter2");
        await File.WriteAllTextAsync(Path.Combine(p.Project.Directory, "app.conf"), "mode=prod");
        var job = Compose(p, $$"""
            services:
              job:
                image: {{DockerProject.Image1}}
                pull_policy: never
                command: [sh, -c, 'test "$(cat /run/secrets/db_password)" = hunter2 && test "$(cat /etc/app.conf)" = mode=prod && test "$(cat /run/secrets/named)" = hunter2 && ! echo x > /run/secrets/db_password']
                secrets: [db_password, {source: db_password, target: named}]
                configs: [{source: app, target: /etc/app.conf}]
            secrets:
              db_password: {file: pw.txt}
            configs:
              app: {file: ./app.conf}
            """).Services["job"];

        var created = await p.Runtime.CreateAsync(p.Replica(job), DockerProject.Timeout());

        Assert.Equal(0, await p.Runtime.WaitForCompletionAsync(p.Id("job"), DockerProject.Timeout()));
        Assert.Contains(
            $"{p.Project.Directory}/pw.txt:/run/secrets/db_password:false",
            await InspectAsync(created.Id!, "{{range .Mounts}}{{.Source}}:{{.Destination}}:{{.RW}} {{end}}"),
            StringComparison.Ordinal);
    }
}
