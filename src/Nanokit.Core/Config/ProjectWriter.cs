using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.RegularExpressions;
using Nanokit.Core.Model;

namespace Nanokit.Core.Config;

/// <summary>
/// Renders a resolved project for <c>nkapp config</c>, like <c>docker compose config</c>. Both formats come from one
/// ordered tree so they cannot drift apart. Shape: <c>{"name", "services": {NAME: {"image", "command",
/// "environment": {K: V}, "ports", "depends_on": {NAME: {"condition", "required"}}, "healthcheck",
/// "deploy": {"replicas", "resources", "update_config"}, "hooks"}}}</c> plus entrypoint, working_dir, volumes, labels,
/// profiles, stop_grace_period, pull_policy, network_mode, runtime and secret_env when they differ from the defaults; absent optional keys are omitted.
/// </summary>
public static partial class ProjectWriter
{
    /// <summary>What secret environment values are replaced with.</summary>
    public const string Mask = "********";

    public static string ToJson(ProjectSpec project, bool maskSecrets = true)
    {
        ArgumentNullException.ThrowIfNull(project);
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            WriteJson(writer, Tree(project, maskSecrets));
        }

        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    public static string ToYaml(ProjectSpec project, bool maskSecrets = true)
    {
        ArgumentNullException.ThrowIfNull(project);
        var sb = new StringBuilder();
        WriteYamlMap(sb, (Map)Tree(project, maskSecrets), 0);
        return sb.ToString();
    }

    private sealed class Map : List<KeyValuePair<string, object?>>
    {
        public void Put(string key, object? value) => Add(new(key, value));
    }

    private static object Tree(ProjectSpec project, bool maskSecrets)
    {
        var root = new Map();
        root.Put("name", project.Name);
        // Always shown, since a file that names none gets one chosen from what its services declare.
        root.Put("runtime", project.Runtime.ToString().ToLowerInvariant());

        if (project.Drift != DriftSettings.Default)
        {
            root.Put("drift", new Map { new("interval", Durations.Format(project.Drift.Interval)), new("heal", project.Drift.Heal) });
        }

        var services = new Map();
        foreach (var service in project.Services.Values)
        {
            services.Put(service.Name, Service(service, maskSecrets));
        }

        root.Put("services", services);
        PutTopLevel(root, project);
        return root;
    }

    private static Map Service(ServiceSpec s, bool maskSecrets)
    {
        var m = new Map();
        if (s.Build is { } build)
        {
            // As Compose renders it: the absolute context, the Dockerfile, args and target; the context hash is Nanokit's own.
            var b = new Map();
            b.Put("context", build.Context);
            b.Put("dockerfile", build.Dockerfile);
            if (!build.Args.IsEmpty)
            {
                var args = new Map();
                foreach (var (key, value) in build.Args)
                {
                    args.Put(key, value);
                }

                b.Put("args", args);
            }

            if (build.Target is not null)
            {
                b.Put("target", build.Target);
            }

            m.Put("build", b);
        }

        if (s.Image is not null)
        {
            m.Put("image", s.Image);
        }

        if (s.Entrypoint is { } entrypoint)
        {
            m.Put("entrypoint", entrypoint.Cast<object?>().ToList());
        }

        if (s.Command is { } command)
        {
            m.Put("command", command.Cast<object?>().ToList());
        }

        if (s.WorkingDir is not null)
        {
            m.Put("working_dir", s.WorkingDir);
        }

        if (!s.Environment.IsEmpty)
        {
            var env = new Map();
            foreach (var (key, value) in s.Environment)
            {
                env.Put(key, maskSecrets && value is not null && s.SecretEnvironment.Contains(key) ? Mask : value);
            }

            m.Put("environment", env);
        }

        var declaredSecrets = s.SecretEnvironment.Where(n => !ServiceReader.IsSecretName(n)).ToList();
        if (declaredSecrets.Count > 0)
        {
            m.Put("secret_env", declaredSecrets.Cast<object?>().ToList());
        }

        if (!s.Ports.IsEmpty)
        {
            m.Put("ports", s.Ports.Select(Port).Cast<object?>().ToList());
        }

        if (!s.Volumes.IsEmpty)
        {
            m.Put("volumes", s.Volumes.Select(Volume).Cast<object?>().ToList());
        }

        if (!s.Labels.IsEmpty)
        {
            var labels = new Map();
            foreach (var (key, value) in s.Labels)
            {
                labels.Put(key, value);
            }

            m.Put("labels", labels);
        }

        if (!s.DependsOn.IsEmpty)
        {
            var deps = new Map();
            foreach (var d in s.DependsOn.Values)
            {
                var dm = new Map { new("condition", Condition(d.Condition)), new("required", d.Required) };
                if (d.Restart)
                {
                    dm.Put("restart", true);
                }

                deps.Put(d.Service, dm);
            }

            m.Put("depends_on", deps);
        }

        if (s.Healthcheck is { } h)
        {
            m.Put("healthcheck", Healthcheck(h));
        }

        PutCompose(m, s);

        m.Put("deploy", Deploy(s));
        if (s.PullPolicy != PullPolicy.Missing)
        {
            m.Put("pull_policy", s.PullPolicy == PullPolicy.Always ? "always" : "never");
        }

        if (s.NetworkMode is not null)
        {
            m.Put("network_mode", s.NetworkMode);
        }
        if (!s.Profiles.IsEmpty)
        {
            m.Put("profiles", s.Profiles.Cast<object?>().ToList());
        }

        if (s.StopGracePeriod != TimeSpan.FromSeconds(10))
        {
            m.Put("stop_grace_period", Durations.Format(s.StopGracePeriod));
        }

        if (s.Hooks != HooksSpec.None)
        {
            var hooks = new Map();
            AddHook(hooks, "prestart", s.Hooks.Prestart);
            AddHook(hooks, "poststart", s.Hooks.Poststart);
            AddHook(hooks, "prestop", s.Hooks.Prestop);
            m.Put("hooks", hooks);
        }

        if (!s.RuntimeOptions.IsEmpty)
        {
            var options = new Map();
            foreach (var (key, value) in s.RuntimeOptions)
            {
                options.Put(key, value);
            }

            m.Put(ServiceReader.ProviderOptionsKey, options);
        }

        return m;
    }

    private static Map Deploy(ServiceSpec s)
    {
        var deploy = new Map { new("replicas", s.Replicas) };
        if (s.Limits is { } l)
        {
            var limits = new Map();
            if (l.Cpus is { } cpus)
            {
                limits.Put("cpus", cpus.ToString(CultureInfo.InvariantCulture));
            }

            if (l.MemoryBytes is { } memory)
            {
                limits.Put("memory", memory.ToString(CultureInfo.InvariantCulture));
            }

            if (l.Pids is { } pids)
            {
                limits.Put("pids", pids);
            }

            deploy.Put("resources", new Map { new("limits", limits) });
        }

        if (s.Reservations is { } r)
        {
            var reservations = new Map();
            if (r.Cpus is { } cpus)
            {
                reservations.Put("cpus", cpus.ToString(CultureInfo.InvariantCulture));
            }

            if (r.MemoryBytes is { } memory)
            {
                reservations.Put("memory", memory.ToString(CultureInfo.InvariantCulture));
            }

            if (deploy.Find(e => e.Key == "resources").Value is Map resources)
            {
                resources.Put("reservations", reservations);
            }
            else
            {
                deploy.Put("resources", new Map { new("reservations", reservations) });
            }
        }

        if (s.Update != UpdatePolicy.Default)
        {
            var update = new Map();
            if (s.Update.Parallelism is { } parallelism)
            {
                update.Put("parallelism", parallelism);
            }

            update.Put("order", s.Update.Order == UpdateOrder.StartFirst ? "start-first" : "stop-first");
            deploy.Put("update_config", update);
        }

        // A delay, or a bound on any restart but on-failure, has no short form: Compose's deploy.restart_policy says it.
        if (s.Restart is { } mode && (s.RestartDelay > TimeSpan.Zero || (s.RestartAttempts is not null && mode != RestartMode.OnFailure)))
        {
            var policy = new Map { new("condition", mode switch { RestartMode.No => "none", RestartMode.OnFailure => "on-failure", _ => "any" }) };
            if (s.RestartAttempts is { } attempts)
            {
                policy.Put("max_attempts", attempts);
            }

            if (s.RestartDelay > TimeSpan.Zero)
            {
                policy.Put("delay", Durations.Format(s.RestartDelay));
            }

            deploy.Put("restart_policy", policy);
        }

        return deploy;
    }

    private static Map Port(PortMapping p)
    {
        var m = new Map();
        if (p.HostIp is not null)
        {
            m.Put("host_ip", p.HostIp);
        }

        if (p.HostPort is { } published)
        {
            m.Put("published", published);
        }

        m.Put("target", p.ContainerPort);
        m.Put("protocol", p.Protocol);
        return m;
    }

    private static Map Volume(VolumeMount v)
    {
        var m = new Map { new("type", v.Type) };
        if (v.Source is not null)
        {
            m.Put("source", v.Source);
        }

        m.Put("target", v.Target);
        if (v.ReadOnly)
        {
            m.Put("read_only", true);
        }

        return m;
    }

    private static Map Healthcheck(HealthcheckSpec h)
    {
        var m = new Map();
        if (!h.Test.IsEmpty)
        {
            m.Put("test", h.Test.Cast<object?>().ToList());
        }

        m.Put("interval", Durations.Format(h.Interval));
        m.Put("timeout", Durations.Format(h.Timeout));
        m.Put("retries", h.Retries);
        m.Put("start_period", Durations.Format(h.StartPeriod));
        if (h.StartInterval > TimeSpan.Zero)
        {
            m.Put("start_interval", Durations.Format(h.StartInterval));
        }

        if (h.Disabled)
        {
            m.Put("disable", true);
        }

        return m;
    }

    private static void AddHook(Map hooks, string name, Hook? hook)
    {
        if (hook is not null)
        {
            hooks.Put(name, new Map
            {
                new("command", hook.Command.Cast<object?>().ToList()),
                new("run_on", hook.RunOn == HookLocation.Host ? "host" : "service"),
                new("timeout", Durations.Format(hook.Timeout)),
            });
        }
    }

    private static string Condition(DependencyCondition c) => c switch
    {
        DependencyCondition.ServiceHealthy => "service_healthy",
        DependencyCondition.ServiceCompletedSuccessfully => "service_completed_successfully",
        _ => "service_started",
    };

    private static void WriteJson(Utf8JsonWriter w, object? value)
    {
        switch (value)
        {
            case null:
                w.WriteNullValue();
                break;
            case string s:
                w.WriteStringValue(s);
                break;
            case int i:
                w.WriteNumberValue(i);
                break;
            case long l:
                w.WriteNumberValue(l);
                break;
            case bool b:
                w.WriteBooleanValue(b);
                break;
            case Map map:
                w.WriteStartObject();
                foreach (var (key, v) in map)
                {
                    w.WritePropertyName(key);
                    WriteJson(w, v);
                }

                w.WriteEndObject();
                break;
            case List<object?> list:
                w.WriteStartArray();
                foreach (var item in list)
                {
                    WriteJson(w, item);
                }

                w.WriteEndArray();
                break;
        }
    }

    private static void WriteYamlMap(StringBuilder sb, Map map, int indent)
    {
        foreach (var (key, value) in map)
        {
            sb.Append(' ', indent).Append(YamlString(key)).Append(':');
            WriteYamlValue(sb, value, indent);
        }
    }

    private static void WriteYamlValue(StringBuilder sb, object? value, int indent)
    {
        switch (value)
        {
            case Map { Count: 0 }:
                sb.Append(" {}\n");
                break;
            case Map nested:
                sb.Append('\n');
                WriteYamlMap(sb, nested, indent + 2);
                break;
            case List<object?> { Count: 0 }:
                sb.Append(" []\n");
                break;
            case List<object?> list:
                sb.Append('\n');
                foreach (var item in list)
                {
                    sb.Append(' ', indent + 2).Append('-');
                    if (item is Map { Count: > 0 } itemMap)
                    {
                        // The first key sits on the dash line; the rest align under it.
                        var inner = new StringBuilder();
                        WriteYamlMap(inner, itemMap, indent + 4);
                        sb.Append(' ').Append(inner.ToString(indent + 4, inner.Length - indent - 4));
                    }
                    else
                    {
                        WriteYamlValue(sb, item, indent + 2);
                    }
                }

                break;
            default:
                sb.Append(' ').Append(Scalar(value)).Append('\n');
                break;
        }
    }

    private static string Scalar(object? value) => value switch
    {
        null => "null",
        bool b => b ? "true" : "false",
        int i => i.ToString(CultureInfo.InvariantCulture),
        long l => l.ToString(CultureInfo.InvariantCulture),
        string s => YamlString(s),
        _ => YamlString(value.ToString() ?? ""),
    };

    // Plain when YAML would read the text back as the same string; JSON-style double quotes otherwise (valid YAML).
    private static string YamlString(string s) =>
        PlainSafe().IsMatch(s) && !Ambiguous().IsMatch(s) ? s : JsonSerializer.Serialize(s, JsonOptions);

    private static readonly JsonSerializerOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    [GeneratedRegex(@"^[A-Za-z0-9_./@][A-Za-z0-9_./@=+,-]*$")]
    private static partial Regex PlainSafe();

    [GeneratedRegex(@"^([-+]?[0-9._]+([eE][-+]?[0-9]+)?|0x[0-9a-fA-F]+|0o[0-7]+|true|false|True|False|TRUE|FALSE|yes|no|Yes|No|YES|NO|on|off|On|Off|ON|OFF|y|n|Y|N|null|Null|NULL|~|\.inf|\.nan)$")]
    private static partial Regex Ambiguous();
}
