using System.Collections.Immutable;
using Nanokit.Core.Model;

namespace Nanokit.Core.Config;

/// <summary>
/// Checks that need the whole project: profiles, dependencies that point nowhere, host ports published twice,
/// named volumes without a declaration, and what the chosen runtime needs (an image for docker/kubernetes, a
/// command for local). Cycles are left to the graph engine, which can print their path.
/// </summary>
internal static class Validation
{
    public static ProjectSpec Apply(ProjectSpec project, ISet<string> enabledProfiles, bool allProfiles, ImmutableHashSet<string> declaredVolumes, LoadContext context, NodeReader reader)
    {
        bool Active(ServiceSpec s) => s.Profiles.IsEmpty || allProfiles || s.Profiles.Any(enabledProfiles.Contains);

        // Starting from the loaded dictionary (not an empty one) makes the usual case — every service active,
        // no dependency dropped — cost no tree rebuilding: only what changes is written.
        var active = project.Services.ToBuilder();
        foreach (var service in project.Services.Values)
        {
            if (!Active(service))
            {
                active.Remove(service.Name);
            }
        }

        // As Compose's "no service selected": an up with every service behind an unselected profile would remove them all.
        if (active.Count == 0 && project.Services.Count > 0 && !context.AllowNoServices)
        {
            var first = project.Services.Values.MinBy(s => (s.Location.Line, s.Location.Column))!;
            var profiles = project.Services.Values.SelectMany(s => s.Profiles).Distinct().Order(StringComparer.Ordinal);
            reader.Error(first.Location, $"no service is enabled: every service belongs to a profile that is not selected ({string.Join(", ", profiles)}); select one with --profile or COMPOSE_PROFILES");
        }

        foreach (var service in active.Values.ToArray())
        {
            var checkedService = CheckDependencies(service, project.Services, active, reader);
            if (!ReferenceEquals(checkedService, service))
            {
                active[service.Name] = checkedService;
            }

            CheckRuntimeNeeds(service, project, context, reader);
            CheckRuntimeFit(service, project, context, reader);
        }

        CheckReferences(project, active, context, reader);
        project = project with
        {
            Secrets = project.Secrets.IsEmpty ? project.Secrets : project.Secrets.ToImmutableSortedDictionary(s => s.Key, s => Digested(s.Value), StringComparer.Ordinal),
            Configs = project.Configs.IsEmpty ? project.Configs : project.Configs.ToImmutableSortedDictionary(s => s.Key, s => Digested(s.Value), StringComparer.Ordinal),
        };
        foreach (var service in active.Values.ToArray())
        {
            if (!service.Networks.IsEmpty || !service.Secrets.IsDefaultOrEmpty || !service.Configs.IsDefaultOrEmpty)
            {
                active[service.Name] = WithDefinitions(service, project);
            }
        }

        CheckHostPorts(active, context, reader);
        CheckContainerNames(active, context, reader);
        foreach (var (name, node) in context.NamedVolumeUses)
        {
            if (!declaredVolumes.Contains(name))
            {
                reader.Error(node, $"named volume \"{name}\" is not declared in the top-level volumes section");
            }
        }

        return project with { Services = active.ToImmutable() };
    }

    // A dependency with required: false on a service that does not exist (or is disabled) is dropped, as Compose does.
    private static ServiceSpec CheckDependencies(ServiceSpec service, IReadOnlyDictionary<string, ServiceSpec> all, IReadOnlyDictionary<string, ServiceSpec> active, NodeReader reader)
    {
        var kept = service.DependsOn;
        foreach (var (_, dependency) in service.DependsOn)
        {
            if (active.ContainsKey(dependency.Service))
            {
                continue;
            }

            if (!dependency.Required)
            {
                kept = kept.Remove(dependency.Service);
                continue;
            }

            if (all.TryGetValue(dependency.Service, out var disabled))
            {
                reader.Error(dependency.Location, $"service \"{service.Name}\" depends on service \"{dependency.Service}\", which is disabled; enable one of its profiles ({string.Join(", ", disabled.Profiles)}) or set required: false");
            }
            else
            {
                var hint = Suggest.Closest(dependency.Service, all.Keys);
                reader.Error(dependency.Location, $"service \"{service.Name}\" depends on undefined service \"{dependency.Service}\""
                    + (hint is null ? "" : $"; did you mean \"{hint}\"?"));
            }
        }

        return kept == service.DependsOn ? service : service with { DependsOn = kept };
    }

    private static void CheckRuntimeNeeds(ServiceSpec service, ProjectSpec project, LoadContext context, NodeReader reader)
    {
        var runtime = project.Runtime;

        // An image key that did not read (a mapping, say) has its own error; "has no image" would only repeat it.
        var imageWritten = context.ImageKeySites.TryGetValue(service.Name, out var sites) && sites.Exists(s => s.Key == "image");
        var noImage = service.Image is null ? !imageWritten : service.Image.Length == 0;
        if (runtime is RuntimeKind.Docker or RuntimeKind.Kubernetes && noImage && service.Build is null)
        {
            reader.Error(service.Location, $"service \"{service.Name}\" has no image; runtime {runtime.ToString().ToLowerInvariant()} needs one");
        }

        if (runtime is RuntimeKind.Local && service.Command is not { Length: > 0 })
        {
            var why = project.RuntimeChoice == RuntimeChoice.DefaultForCommands && service.Image is not null
                ? " (runtime local was chosen because not every service declares an image; set runtime: docker to run images)"
                : "";
            reader.Error(service.Location, $"service \"{service.Name}\" has no command; runtime local runs a process and needs one{why}");
        }
    }

    // A key the runtime cannot honour is refused here, at its own line, rather than ignored or failing at up.
    private static void CheckRuntimeFit(ServiceSpec service, ProjectSpec project, LoadContext context, NodeReader reader)
    {
        var runtime = project.Runtime;

        // Why local was chosen is said once: by the "has no command" error when the service has none, else here at its image.
        var chosenForCommands = project.RuntimeChoice == RuntimeChoice.DefaultForCommands && service.Command is { Length: > 0 };
        if (runtime == RuntimeKind.Docker)
        {
            CheckDockerFit(service, context, reader);
        }

        if (runtime == RuntimeKind.Kubernetes)
        {
            CheckKubernetesFit(service, context, reader);
        }

        if (runtime != RuntimeKind.Local)
        {
            return;
        }

        var sites = context.ImageKeySites.GetValueOrDefault(service.Name, []).Concat(context.ContainerKeySites.GetValueOrDefault(service.Name, []))
            .OrderBy(s => (s.Location.Line, s.Location.Column));
        foreach (var (key, location) in sites)
        {
            var instead = key switch
            {
                "image" => " (it starts the service's command on the host, not an image"
                    + (chosenForCommands ? "; runtime local was chosen because not every service declares an image" : "") + ")",
                "ports" => " (the process publishes nothing: it listens where its command tells it to)",
                "volumes" => " (the process reads host paths as they are: give them to its command)",
                "labels" => " (a process has no labels; keep notes under an x- key)",
                _ => "",
            };
            reader.Error(location, $"\"{key}\" in service \"{service.Name}\": runtime local (host processes) cannot honour it{instead}; use runtime: docker or remove it");
        }
    }

    // The Kubernetes runtime writes a Pod from image, entrypoint/command, working_dir, environment, ports, labels,
    // deploy.resources, pull_policy, healthcheck, stop_grace_period, volumes (named ones as claims) and tmpfs; every other container key is refused where written
    // rather than accepted and then not honoured.
    private static void CheckKubernetesFit(ServiceSpec service, LoadContext context, NodeReader reader)
    {
        // secrets and configs become Secrets and ConfigMaps mounted file by file (CheckReferences refuses sources a pod cannot get);
        // post_start and pre_stop run through pods/exec (their keys beyond command are refused below).
        // tmpfs mounts become emptyDir volumes in memory, a plain path each (options are refused below).
        var tmpfsOptions = service.Container.Tmpfs.Any(t => t.Contains(':', StringComparison.Ordinal));
        var sites = context.ContainerKeySites.GetValueOrDefault(service.Name, [])
            .Where(s => s.Key is not ("secrets" or "configs" or "post_start" or "pre_stop") && (s.Key != "tmpfs" || tmpfsOptions))
            .Concat(context.ImageKeySites.GetValueOrDefault(service.Name, []).Where(s => s.Key is "network_mode"))
            .OrderBy(s => (s.Location.Line, s.Location.Column));
        foreach (var (key, location) in sites)
        {
            var why = key switch
            {
                "build" => "cannot build images (build and push it, then name it in image)",
                "tmpfs" => "mounts a tmpfs as an emptyDir in memory and cannot pass it options (give a path alone)",
                "networks" or "network_mode" => "puts each project in its own namespace, where services reach each other by name; it has no Compose networks",
                _ => "does not map this key onto a pod yet",
            };
            reader.Error(location, $"\"{key}\" in service \"{service.Name}\": runtime kubernetes {why}; use runtime: docker or remove it");
        }

        // A pod may run on any node of the cluster, where the path on this machine does not exist (or is another file).
        foreach (var (_, location) in context.BindMountSites.Where(b => b.Service == service.Name))
        {
            reader.Error(location, $"volumes entry of service \"{service.Name}\": runtime kubernetes cannot mount a host path (the pod may run on another machine, where it is not); use a named volume, or runtime: docker");
        }

        // post_start and pre_stop run through pods/exec, which takes a command only: it runs as the container's user, in its
        // working directory, with its environment.
        foreach (var (key, location) in context.LifecycleHookSites.GetValueOrDefault(service.Name, []))
        {
            reader.Error(location, $"\"{key}\" in service \"{service.Name}\": runtime kubernetes runs the hook through pods/exec, which takes only a command (it runs as the container's user, in its working directory, with its environment); use runtime: docker or remove it");
        }

        // Poststart and prestop hooks run in replica 1's container through pods/exec, prestart in a one-off pod of the
        // service's image; run_on: host would run on the node, not the cluster.
        var hookSites = context.HookSites.GetValueOrDefault(service.Name, []);
        foreach (var kind in new[] { HookKind.Prestart, HookKind.Poststart, HookKind.Prestop })
        {
            if (service.Hooks.For(kind) is not { RunOn: HookLocation.Host })
            {
                continue;
            }

            var key = $"hooks.{kind.ToString().ToLowerInvariant()}.run_on";
            var at = hookSites.FirstOrDefault(s => s.Key == key).Location ?? service.Location;
            reader.Error(at, $"\"{key}\" in service \"{service.Name}\": runtime kubernetes runs hooks in the cluster, not on the host; use runtime: docker or remove it");
        }

        // A pod volume sets each file's mode, but not its owner: only the pod's fsGroup, which would apply to every volume.
        foreach (var (uses, kind, grants) in new[] { (context.SecretUses, "secret", service.Secrets), (context.ConfigUses, "config", service.Configs) })
        {
            var at = uses.Where(u => u.Service == service.Name).Select(u => u.Source.Location).ToList();
            for (var i = 0; i < grants.Length && i < at.Count; i++)
            {
                if (grants[i].Uid is not null || grants[i].Gid is not null)
                {
                    reader.Error(at[i], $"{kind} \"{grants[i].Source}\" of service \"{service.Name}\": runtime kubernetes mounts it with a mode but cannot set its uid or gid; remove them");
                }
            }
        }
    }

    // What the Docker runtime does not do yet, or Docker cannot do at all, named at the key.
    private static void CheckDockerFit(ServiceSpec service, LoadContext context, NodeReader reader)
    {
        const string Docker = "runtime docker";
        if (context.ReservedCpuSites.TryGetValue(service.Name, out var cpus))
        {
            reader.Error(cpus, $"deploy.resources.reservations.cpus in service \"{service.Name}\": {Docker} cannot reserve CPUs (Docker has no CPU reservation); use limits.cpus");
        }

        foreach (var (uses, kind, grants) in new[] { (context.SecretUses, "secret", service.Secrets), (context.ConfigUses, "config", service.Configs) })
        {
            var at = uses.Where(u => u.Service == service.Name).Select(u => u.Source.Location).ToList();
            for (var i = 0; i < grants.Length && i < at.Count; i++)
            {
                var grant = grants[i];
                if (grant.Uid is not null || grant.Gid is not null || grant.Mode is not null)
                {
                    reader.Error(at[i], $"{kind} \"{grant.Source}\" of service \"{service.Name}\": {Docker} mounts the file as it is and cannot set uid, gid or mode; set them on the file");
                }
            }
        }
    }

    // A container name is the daemon's key: two services cannot both claim one (Compose fails at create, halfway through up).
    private static void CheckContainerNames(IReadOnlyDictionary<string, ServiceSpec> active, LoadContext context, NodeReader reader)
    {
        var claimed = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var service in active.Values.Where(s => s.Container.ContainerName is not null).OrderBy(s => (s.Location.Line, s.Location.Column)))
        {
            var name = service.Container.ContainerName!;
            if (claimed.TryGetValue(name, out var first))
            {
                var at = context.ContainerKeySites[service.Name].First(s => s.Key == "container_name").Location;
                reader.Error(at, $"container_name \"{name}\" of service \"{service.Name}\" is already the container name of service \"{first}\"");
            }
            else
            {
                claimed[name] = service.Name;
            }
        }
    }

    // Networks, secrets and configs a service names must be declared at the top level (the network "default" always exists).
    private static void CheckReferences(ProjectSpec project, IReadOnlyDictionary<string, ServiceSpec> active, LoadContext context, NodeReader reader)
    {
        foreach (var (service, network) in context.NetworkUses)
        {
            if (active.ContainsKey(service) && network.Value != "default" && !project.Networks.ContainsKey(network.Value))
            {
                reader.Error(network, $"service \"{service}\" uses network \"{network.Value}\", which is not declared in the top-level networks section");
            }
        }

        Check(context.SecretUses, project.Secrets, "secret", "secrets");
        Check(context.ConfigUses, project.Configs, "config", "configs");

        void Check(List<(string Service, ScalarNode Source)> uses, IReadOnlyDictionary<string, FileSource> declared, string kind, string section)
        {
            foreach (var (service, source) in uses)
            {
                if (!active.ContainsKey(service))
                {
                    continue;
                }

                if (!declared.TryGetValue(source.Value, out var file))
                {
                    reader.Error(source, $"service \"{service}\" uses {kind} \"{source.Value}\", which is not declared in the top-level {section} section");
                }
                else if (project.Runtime == RuntimeKind.Docker && file.File is null)
                {
                    reader.Error(source, $"{kind} \"{source.Value}\" of service \"{service}\": runtime docker mounts {section} from a file and cannot honour {(file.External ? "an external one (a swarm feature)" : file.Environment is not null ? "one from an environment variable" : "inline content")} yet");
                }
                else if (project.Runtime == RuntimeKind.Kubernetes && (file.External || file.Environment is not null))
                {
                    reader.Error(source, $"{kind} \"{source.Value}\" of service \"{service}\": runtime kubernetes mounts {section} from a file{(kind == "config" ? " or inline content" : "")} and cannot honour {(file.External ? "an external one (a swarm feature)" : "one from an environment variable (the value would have to be stored to reach the pod)")}");
                }
                else if (file.File is not null && context.Limits.ReadsConfinedTo is not null)
                {
                    // The request's files are written to a scratch directory that is gone before any replica is created,
                    // and a path outside it would name the node's own files.
                    reader.Error(source, $"{kind} \"{source.Value}\" of service \"{service}\": {kind} files are not sent over the API (only the project's files and .env are, and they are not kept), so the server has no file to mount; run `nkapp up` where the file is");
                }
                else if (file.File is { } path && !File.Exists(path))
                {
                    reader.Error(source, $"{kind} \"{source.Value}\" of service \"{service}\": its file {path} does not exist");
                }
                else if (file.Environment is { } variable && context.Lookup(variable) is null)
                {
                    reader.Error(source, $"{kind} \"{source.Value}\" of service \"{service}\": its environment variable {variable} is not set");
                }
            }
        }
    }

    // A runtime gets only the service: the declarations it refers to travel with it.
    private static ServiceSpec WithDefinitions(ServiceSpec service, ProjectSpec project) => service with
    {
        Networks = service.Networks.ToImmutableSortedDictionary(
            n => n.Key, n => n.Value with { Definition = project.Networks.GetValueOrDefault(n.Key) }, StringComparer.Ordinal),
        Secrets = [.. service.Secrets.Select(g => g with { Definition = project.Secrets.GetValueOrDefault(g.Source) })],
        Configs = [.. service.Configs.Select(g => g with { Definition = project.Configs.GetValueOrDefault(g.Source) })],
    };

    // Read once per load: a file that cannot be read has its own located error above, and then no digest.
    private static FileSource Digested(FileSource source)
    {
        if (source.File is not { } path || source.Digest is not null || !File.Exists(path))
        {
            return source;
        }

        try
        {
            using var stream = File.OpenRead(path);
            return source with { Digest = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(stream)) };
        }
        catch (IOException)
        {
            return source;
        }
        catch (UnauthorizedAccessException)
        {
            return source;
        }
    }

    // One pass with a dictionary: a host port (per address and protocol) can be published once in the whole project.
    private static void CheckHostPorts(IReadOnlyDictionary<string, ServiceSpec> active, LoadContext context, NodeReader reader)
    {
        var owners = new Dictionary<(string Ip, int Port, string Protocol), (string Service, Diagnostics.SourceLocation Location)>(context.PortSites.Count);
        // Walk in declaration order so the second declaration is the one reported, as a reader would expect.
        var inFileOrder = active.Values.Where(s => context.PortSites.ContainsKey(s.Name))
            .OrderBy(s => s.Location.File, StringComparer.Ordinal).ThenBy(s => s.Location.Line).ThenBy(s => s.Location.Column);
        foreach (var name in inFileOrder.Select(s => s.Name))
        {
            if (!context.PortSites.TryGetValue(name, out var sites))
            {
                continue;
            }

            // A service may list the same mapping twice (it collapses); most publish one port and need no set.
            var seenHere = sites.Count > 1 ? new HashSet<PortMapping>() : null;
            foreach (var (port, location) in sites)
            {
                if (port.HostPort is not { } hostPort || seenHere?.Add(port) == false)
                {
                    continue;
                }

                var key = (port.HostIp ?? "0.0.0.0", hostPort, port.Protocol);
                if (owners.TryGetValue(key, out var owner))
                {
                    reader.Error(location, $"host port {(port.HostIp is null ? "" : port.HostIp + ":")}{hostPort}/{port.Protocol} is already published by service \"{owner.Service}\" at {owner.Location}");
                }
                else
                {
                    owners[key] = (name, location);
                }
            }
        }
    }
}
