using System.Diagnostics;
using System.Runtime.CompilerServices;
using Nanokit.Core.Config;
using Nanokit.Core.Model;
using Xunit;
using YamlDotNet.RepresentationModel;

namespace Nanokit.Core.Tests.Config;

/// <summary>
/// Parity with the real <c>docker-compose config</c> (Debian's docker-compose 1.29.2) on the corpus under
/// tests/Nanokit.Core.Tests/Corpus: each case is a directory with compose files (<c>files.txt</c> lists the -f order,
/// default <c>compose.yml</c>), an optional <c>.env</c>, and <c>shell.env</c> with the controlled shell environment.
/// Where Compose v1 is behind the Compose specification, the difference is listed in <see cref="ExpectedDifferences"/>
/// with its reason, and the test checks that the difference is still there (so the list cannot go stale).
/// Where v1 lags the specification in a way that makes it refuse or mis-print a whole file, the corpus keeps to
/// forms both read, and the lag is listed here: v1 refuses <c>env_file</c>'s long syntax (<c>path</c>/<c>required</c>),
/// <c>healthcheck.start_interval</c>, and <c>${VAR:+x}</c> (see interpolation-alternative); <c>config</c> in v1 prints services of every profile unless <c>COMPOSE_PROFILES</c> selects them
/// (kafka-zookeeper sets it); v1 predates top-level <c>include</c> and refuses it (see include-domains), while it reads
/// <c>extends</c> with <c>file</c> and <c>service</c> as the spec does (extends-common); v1 prints <c>configs</c> but ignores them outside a swarm; Nanokit's docker runtime mounts them.
/// </summary>
public sealed class ComposeParityTests
{
    private const string DockerCompose = "/usr/bin/docker-compose";

    /// <summary>(case, service, field) → why v1 disagrees; nanokit follows the spec.</summary>
    private static readonly Dictionary<(string Case, string Service, string Field), string> ExpectedDifferences = new()
    {
        [("interpolation", "web", "environment.NESTED")] =
            "compose v1 does not support nested interpolation; it keeps ${SET} literally, the spec resolves ${UNSET:-${SET}} to 'value'",
        [("interpolation", "web", "environment.NESTED_DEEP")] =
            "compose v1 does not support nested interpolation; the spec resolves ${UNSET:-${ALSO_UNSET:-deep}} to 'deep'",
        [("dotenv", "web", "environment.SINGLE_DOLLAR")] =
            "compose v1 (python-dotenv) interpolates inside single quotes; the Compose env-file syntax says single-quoted values are literal",
    };

    public static TheoryData<string> Cases() => new(Directory.GetDirectories(CorpusDirectory()).Select(Path.GetFileName).Where(c => c is not ("interpolation-alternative" or "include-domains")).Order()!);

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Nanokit_resolves_the_corpus_like_docker_compose_config(string caseName)
    {
        var dir = Path.Combine(CorpusDirectory(), caseName);
        var (exit, stdout, stderr) = await RunComposeAsync(dir);
        Assert.True(exit == 0, $"docker-compose config failed for {caseName}: {stderr}");
        var theirs = FromCompose(stdout);
        var ours = FromNanokit(dir);

        Assert.Equal(theirs.Keys.Order(), ours.Keys.Order());
        var differences = new List<string>();
        foreach (var (service, fields) in theirs)
        {
            foreach (var field in fields.Keys.Union(ours[service].Keys).Order())
            {
                var a = fields.GetValueOrDefault(field);
                var b = ours[service].GetValueOrDefault(field);
                var expected = ExpectedDifferences.ContainsKey((caseName, service, field));
                if (a != b && !expected)
                {
                    differences.Add($"{service}.{field}: docker-compose {a ?? "<absent>"} / nanokit {b ?? "<absent>"}");
                }
                else if (a == b && expected)
                {
                    differences.Add($"{service}.{field}: listed as an expected difference but both give {a}; remove it from the list");
                }
            }
        }

        Assert.True(differences.Count == 0, string.Join("\n", differences));
    }

    [Fact]
    public async Task Alternative_values_follow_the_spec_where_compose_v1_rejects_them()
    {
        // compose v1 predates ${VAR:+r} / ${VAR+r} and rejects them ("Invalid interpolation format"); the spec defines them.
        var dir = Path.Combine(CorpusDirectory(), "interpolation-alternative");
        var (exit, _, stderr) = await RunComposeAsync(dir);
        Assert.NotEqual(0, exit);
        Assert.Contains("Invalid interpolation format", stderr);
        var env = FromNanokit(dir)["web"];
        Assert.Equal("alt", env["environment.ALT_SET"]);
        Assert.Equal("", env["environment.ALT_UNSET"]);
        Assert.Equal("", env["environment.ALT_EMPTY_COLON"]);
        Assert.Equal("alt", env["environment.ALT_EMPTY_NOCOLON"]);
        Assert.Equal("alt", env["environment.ALT_SET_NOCOLON"]);
    }

    [Fact]
    public async Task Include_follows_the_spec_where_compose_v1_rejects_it()
    {
        // compose v1 predates top-level include ("'include' does not match any of the regexes"); the spec defines it.
        var dir = Path.Combine(CorpusDirectory(), "include-domains");
        var (exit, _, stderr) = await RunComposeAsync(dir);
        Assert.NotEqual(0, exit);
        Assert.Contains("'include' does not match", stderr);
        var project = ProjectLoader.Load(new ProjectLoadOptions([.. Files(dir)], dir, null, [], ShellEnv(dir)));
        Assert.Equal(["billing-api", "billing-db", "gateway", "prometheus"], project.Services.Keys);
        Assert.Equal("ghcr.io/example/billing:3.1.0", project.Services["billing-api"].Image);
        Assert.Equal("prom/prometheus:v2.54.1", project.Services["prometheus"].Image);
        Assert.Equal(Path.Combine(dir, "billing", "init"), project.Services["billing-db"].Volumes.Single(v => v.Target == "/docker-entrypoint-initdb.d").Source);
        Assert.Equal(Path.Combine(dir, "observability", "prometheus.yml"), project.Services["prometheus"].Volumes.Single().Source);
        Assert.Contains("billing-api", project.Services["gateway"].DependsOn.Keys);
    }

    private static string CorpusDirectory([CallerFilePath] string source = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(source)!, "..", "Corpus"));

    private static string[] Files(string dir) =>
        File.Exists(Path.Combine(dir, "files.txt")) ? File.ReadAllLines(Path.Combine(dir, "files.txt")).Where(l => l.Length > 0).ToArray() : ["compose.yml"];

    private static Dictionary<string, string> ShellEnv(string dir) =>
        File.Exists(Path.Combine(dir, "shell.env"))
            ? File.ReadAllLines(Path.Combine(dir, "shell.env")).Where(l => l.Contains('=')).ToDictionary(l => l[..l.IndexOf('=')], l => l[(l.IndexOf('=') + 1)..])
            : [];

    private static async Task<(int Exit, string Stdout, string Stderr)> RunComposeAsync(string dir)
    {
        Assert.True(File.Exists(DockerCompose), $"{DockerCompose} not found: the parity suite needs Debian's docker-compose package; run scripts/test.sh, which installs it");
        var start = new ProcessStartInfo(DockerCompose) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment.Clear();
        start.Environment["PATH"] = "/usr/bin:/bin";
        start.Environment["HOME"] = Path.GetTempPath();
        foreach (var (key, value) in ShellEnv(dir))
        {
            start.Environment[key] = value;
        }

        foreach (var arg in new[] { "--project-directory", dir }.Concat(Files(dir).SelectMany(f => new[] { "-f", f })).Append("config"))
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return (process.ExitCode, await stdout, await stderr);
    }

    private static Dictionary<string, Dictionary<string, string>> FromNanokit(string dir)
    {
        var options = new ProjectLoadOptions([.. Files(dir)], dir, null, [], ShellEnv(dir));
        var project = ProjectLoader.Load(options);
        return project.Services.Values.ToDictionary(s => s.Name, Flatten);
    }

    private static Dictionary<string, string> Flatten(ServiceSpec s)
    {
        var f = new Dictionary<string, string>();
        if (s.Image is not null)
        {
            f["image"] = s.Image;
        }

        if (s.Command is { } command)
        {
            f["command"] = string.Join(" | ", command);
        }

        foreach (var (key, value) in s.Environment)
        {
            f["environment." + key] = value ?? "<null>";
        }

        if (!s.Ports.IsEmpty)
        {
            f["ports"] = string.Join(", ", s.Ports.Select(p => p.ToString()).Order());
        }

        foreach (var d in s.DependsOn.Values)
        {
            f["depends_on." + d.Service] = d.Condition switch
            {
                DependencyCondition.ServiceHealthy => "service_healthy",
                DependencyCondition.ServiceCompletedSuccessfully => "service_completed_successfully",
                _ => "service_started",
            };
        }

        if (s.Healthcheck is { } h)
        {
            f["healthcheck"] = h.Disabled
                ? "disabled"
                : $"{string.Join(" | ", h.Test)}; interval {h.Interval}; timeout {h.Timeout}; retries {h.Retries}; start {h.StartPeriod}";
        }

        f["replicas"] = s.Replicas.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var c = s.Container;
        Put(f, "restart", s.Restart switch
        {
            RestartMode.No => "no",
            RestartMode.Always => "always",
            RestartMode.OnFailure => "on-failure",
            RestartMode.UnlessStopped => "unless-stopped",
            _ => null,
        });
        Put(f, "user", c.User);
        Put(f, "hostname", c.Hostname);
        Put(f, "pid", c.Pid);
        Put(f, "domainname", c.Domainname);
        Put(f, "working_dir", s.WorkingDir);
        Put(f, "init", c.Init is { } init ? (init ? "true" : "false") : null);
        Put(f, "tty", c.Tty ? "true" : null);
        Put(f, "stdin_open", c.StdinOpen ? "true" : null);
        PutList(f, "dns", c.Dns);
        Put(f, "read_only", c.ReadOnly ? "true" : null);
        Put(f, "shm_size", c.ShmSize?.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Put(f, "logging.driver", c.Logging?.Driver);
        PutList(f, "cap_add", c.CapAdd);
        PutList(f, "cap_drop", c.CapDrop);
        PutList(f, "tmpfs", c.Tmpfs);
        PutList(f, "security_opt", c.SecurityOpt);
        PutList(f, "expose", c.Expose);
        PutList(f, "sysctls", c.Sysctls.Select(e => e.Key + "=" + e.Value));
        PutList(f, "ulimits", c.Ulimits.Select(u => $"{u.Key}={u.Value.Soft}:{u.Value.Hard}"));
        PutList(f, "labels", s.Labels.Select(e => e.Key + "=" + e.Value));
        PutList(f, "networks", s.Networks.Select(n => n.Key + "=" + string.Join(",", n.Value.Aliases.Order(StringComparer.Ordinal))));
        PutList(f, "secrets", s.Secrets.Select(g => g.Source + ">" + g.Target));
        PutList(f, "configs", s.Configs.Select(g => g.Source + ">" + g.Target));
        return f;
    }

    private static void Put(Dictionary<string, string> f, string key, string? value)
    {
        if (value is not null)
        {
            f[key] = value;
        }
    }

    // Sorted, so both sides compare whatever order their output keeps.
    private static void PutList(Dictionary<string, string> f, string key, IEnumerable<string> values)
    {
        var list = values.Order(StringComparer.Ordinal).ToList();
        if (list.Count > 0)
        {
            f[key] = string.Join(" | ", list);
        }
    }

    // Reads `docker-compose config` output into the same flat shape; v1 re-escapes '$' as '$$' in its output.
    private static Dictionary<string, Dictionary<string, string>> FromCompose(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var services = (YamlMappingNode)((YamlMappingNode)stream.Documents[0].RootNode)["services"];
        var result = new Dictionary<string, Dictionary<string, string>>();
        foreach (var (nameNode, node) in services.Children)
        {
            var svc = (YamlMappingNode)node;
            var f = new Dictionary<string, string>();
            if (Get(svc, "image") is YamlScalarNode image)
            {
                f["image"] = Text(image);
            }

            if (Get(svc, "command") is { } command)
            {
                f["command"] = string.Join(" | ", Words(command));
            }

            if (Get(svc, "environment") is YamlMappingNode env)
            {
                foreach (var (k, v) in env.Children)
                {
                    var scalar = (YamlScalarNode)v;
                    f["environment." + Text((YamlScalarNode)k)] = scalar.Value is null || (scalar.Style == YamlDotNet.Core.ScalarStyle.Plain && scalar.Value == "null") ? "<null>" : Text(scalar);
                }
            }

            if (Get(svc, "ports") is YamlSequenceNode ports)
            {
                var mappings = new List<PortMapping>();
                foreach (var p in ports.Children)
                {
                    if (p is YamlScalarNode ps)
                    {
                        Assert.Null(Ports.ParseShort(Text(ps), mappings));
                    }
                    else
                    {
                        var pm = (YamlMappingNode)p;
                        mappings.Add(new PortMapping(
                            Get(pm, "host_ip") is YamlScalarNode ip ? Text(ip) : null,
                            Get(pm, "published") is YamlScalarNode pub ? int.Parse(Text(pub), System.Globalization.CultureInfo.InvariantCulture) : null,
                            int.Parse(Text((YamlScalarNode)pm["target"]), System.Globalization.CultureInfo.InvariantCulture),
                            Get(pm, "protocol") is YamlScalarNode proto ? Text(proto) : "tcp"));
                    }
                }

                f["ports"] = string.Join(", ", mappings.Select(p => p.ToString()).Order());
            }

            switch (Get(svc, "depends_on"))
            {
                case YamlSequenceNode list:
                    foreach (var d in list.Children)
                    {
                        f["depends_on." + Text((YamlScalarNode)d)] = "service_started";
                    }

                    break;
                case YamlMappingNode map:
                    foreach (var (k, v) in map.Children)
                    {
                        f["depends_on." + Text((YamlScalarNode)k)] = Get((YamlMappingNode)v, "condition") is YamlScalarNode c ? Text(c) : "service_started";
                    }

                    break;
            }

            if (Get(svc, "healthcheck") is YamlMappingNode h)
            {
                var test = Get(h, "test") is { } t ? (t is YamlScalarNode ts ? ["CMD-SHELL", Text(ts)] : Words(t)) : [];
                var disabled = test is ["NONE", ..] || (Get(h, "disable") is YamlScalarNode dis && Text(dis) == "true");
                f["healthcheck"] = disabled
                    ? "disabled"
                    : $"{string.Join(" | ", test)}; interval {Duration(h, "interval", 30)}; timeout {Duration(h, "timeout", 30)}; retries {(Get(h, "retries") is YamlScalarNode r ? Text(r) : "3")}; start {Duration(h, "start_period", 0)}";
            }

            var replicas = Get(svc, "deploy") is YamlMappingNode deploy && Get(deploy, "replicas") is YamlScalarNode rep ? Text(rep)
                : Get(svc, "scale") is YamlScalarNode scale ? Text(scale) : "1";
            f["replicas"] = replicas;
            Put(f, "restart", Scalar(svc, "restart"));
            Put(f, "user", Scalar(svc, "user"));
            Put(f, "hostname", Scalar(svc, "hostname"));
            Put(f, "pid", Scalar(svc, "pid"));
            Put(f, "domainname", Scalar(svc, "domainname"));
            Put(f, "working_dir", Scalar(svc, "working_dir"));
            Put(f, "init", Scalar(svc, "init"));
            Put(f, "tty", Scalar(svc, "tty") == "true" ? "true" : null);
            Put(f, "stdin_open", Scalar(svc, "stdin_open") == "true" ? "true" : null);
            PutList(f, "dns", Strings(svc, "dns"));
            Put(f, "read_only", Scalar(svc, "read_only") == "true" ? "true" : null);
            Put(f, "shm_size", Scalar(svc, "shm_size") is { } shm && ServiceReader.TryParseBytes(shm, out var bytes) ? bytes.ToString(System.Globalization.CultureInfo.InvariantCulture) : null);
            Put(f, "logging.driver", Get(svc, "logging") is YamlMappingNode logging ? Scalar(logging, "driver") : null);
            PutList(f, "cap_add", Strings(svc, "cap_add"));
            PutList(f, "cap_drop", Strings(svc, "cap_drop"));
            PutList(f, "tmpfs", Strings(svc, "tmpfs"));
            PutList(f, "security_opt", Strings(svc, "security_opt"));
            PutList(f, "expose", Strings(svc, "expose").Select(e => e.Contains('/') ? e : e + "/tcp"));
            PutList(f, "sysctls", Pairs(svc, "sysctls"));
            PutList(f, "labels", Pairs(svc, "labels"));
            if (Get(svc, "ulimits") is YamlMappingNode ulimits)
            {
                PutList(f, "ulimits", ulimits.Children.Select(u => Text((YamlScalarNode)u.Key) + "=" + (u.Value is YamlMappingNode m
                    ? Text((YamlScalarNode)m["soft"]) + ":" + Text((YamlScalarNode)m["hard"])
                    : Text((YamlScalarNode)u.Value) + ":" + Text((YamlScalarNode)u.Value))));
            }

            if (Get(svc, "networks") is YamlMappingNode networks)
            {
                PutList(f, "networks", networks.Children.Select(n => Text((YamlScalarNode)n.Key) + "=" + string.Join(",",
                    (n.Value is YamlMappingNode nm && Get(nm, "aliases") is YamlSequenceNode aliases ? aliases.Children.Select(a => Text((YamlScalarNode)a)) : []).Order(StringComparer.Ordinal))));
            }

            PutList(f, "secrets", Grants(svc, "secrets", t => t is null ? null : t.StartsWith('/') ? t : "/run/secrets/" + t, s => "/run/secrets/" + s));
            PutList(f, "configs", Grants(svc, "configs", t => t, s => "/" + s));
            result[Text((YamlScalarNode)nameNode)] = f;
        }

        return result;
    }

    private static string? Scalar(YamlMappingNode map, string key) => Get(map, key) is YamlScalarNode s ? Text(s) : null;

    private static IEnumerable<string> Strings(YamlMappingNode map, string key) => Get(map, key) switch
    {
        YamlSequenceNode seq => seq.Children.Select(c => Text((YamlScalarNode)c)),
        YamlScalarNode one => [Text(one)],
        _ => [],
    };

    // v1 prints labels and sysctls as mappings.
    private static IEnumerable<string> Pairs(YamlMappingNode map, string key) =>
        Get(map, key) is YamlMappingNode pairs ? pairs.Children.Select(p => Text((YamlScalarNode)p.Key) + "=" + Text((YamlScalarNode)p.Value)) : [];

    // v1 leaves a default target out: the spec's default is filled in here.
    private static IEnumerable<string> Grants(YamlMappingNode map, string key, Func<string?, string?> target, Func<string, string> fallback) =>
        Get(map, key) is YamlSequenceNode grants
            ? grants.Children.Select(g => g is YamlScalarNode name
                ? Text(name) + ">" + fallback(Text(name))
                : Scalar((YamlMappingNode)g, "source") + ">" + (target(Scalar((YamlMappingNode)g, "target")) ?? fallback(Scalar((YamlMappingNode)g, "source")!)))
            : [];

    private static YamlNode? Get(YamlMappingNode map, string key) => map.Children.TryGetValue(new YamlScalarNode(key), out var v) ? v : null;

    private static string Text(YamlScalarNode node) => (node.Value ?? "").Replace("$$", "$");

    private static string[] Words(YamlNode node) => node is YamlScalarNode s
        ? ShellWords.Split(Text(s), out _)!.ToArray()
        : ((YamlSequenceNode)node).Children.Select(c => Text((YamlScalarNode)c)).ToArray();

    private static TimeSpan Duration(YamlMappingNode map, string key, int defaultSeconds)
    {
        if (Get(map, key) is not YamlScalarNode s)
        {
            return TimeSpan.FromSeconds(defaultSeconds);
        }

        Assert.True(Durations.TryParse(Text(s), out var value), $"unparsable duration {s.Value}");
        return value;
    }
}
