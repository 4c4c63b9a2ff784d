using System.Text;
using Nanokit.Core.Config;
using Nanokit.Core.Diagnostics;
using Xunit;

namespace Nanokit.Core.Tests.Config;

/// <summary>
/// Mutates valid documents thousands of times (seeded, so a failure reproduces) and requires that each one either
/// loads or fails with located <see cref="ConfigException"/> errors only: no other exception, no hang.
/// </summary>
public sealed class FuzzTests
{
    private const int Cases = 3000;
    private const int Seed = 20261122;

    private static readonly string[] Seeds =
    [
        """
        name: shop
        runtime: local
        drift: {interval: 30s, heal: true}
        x-base: &base
          image: app:${TAG:-1}
          environment: &env
            A: "1"
            DB_PASSWORD: $${LITERAL}
        services:
          web:
            <<: *base
            command: ["run", "--port", "${PORT:-8080}"]
            ports: ["8080:80", "127.0.0.1:9000-9001:90-91/udp", {target: 70, published: "7070"}]
            volumes: ["./data:/data:ro", "cache:/cache"]
            depends_on:
              db: {condition: service_healthy, restart: true}
              cache: {condition: service_started, required: false}
            healthcheck: {test: curl -f http://x, interval: 1m30s, retries: 3}
            hooks:
              prestart: ./migrate
              prestop: {command: [drain], run_on: host, timeout: 10s}
            deploy: {replicas: 2}
            secret_env: [A]
          db:
            command: postgres -D '/var/lib/pg'
            environment: ["POSTGRES_PASSWORD=${PG:?need PG}", "B"]
            profiles: [db]
            stop_grace_period: 1m
        volumes:
          cache:
        environments:
          prod:
            runtime: docker
            services:
              web: {deploy: {replicas: 5}}
        """,
        """
        services:
          api:
            command: >
              serve --verbose
            labels:
              - a=1
            env_file:
              - path: missing.env
                required: false
            scale: 2
            runtime: {cpu: "2"}
          worker:
            entrypoint: [sh, -c]
            command: 'echo "$$HOME"'
            depends_on: [api]
            healthcheck:
              test: [CMD, check]
              disable: false
        """,
    ];

    private static readonly string[] Fragments =
    [
        ":", "-", "[", "]", "{", "}", "$", "${", "}", "&a", "*a", "<<: *a", "!!str", "|", ">", "'", "\"", "#", "\n", "\t", "  ", "?", ",",
        "null", "~", "-1", "99999999999", "1e9", "true", "[a]", "{a: b}", "%", "@", "`", "\\", "\u00e9", "\0",
    ];

    [Fact]
    public async Task Mutated_documents_load_or_fail_with_located_config_errors_only()
    {
        var random = new Random(Seed);
        var env = Load.Env(("TAG", "2"), ("PG", "pw"));
        var options = Load.Options(env, environment: null, profiles: ["db"]);
        for (var i = 0; i < Cases; i++)
        {
            var document = Mutate(Seeds[random.Next(Seeds.Length)], random);
            var withEnvironment = random.Next(4) == 0 ? options with { Environment = "prod" } : options;
            var run = Task.Run(() => Check(document, withEnvironment));
            try
            {
                await run.WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (TimeoutException)
            {
                Assert.Fail($"case {i} did not finish within 10 s:\n{document}");
            }
            catch (Exception ex) when (ex is not Xunit.Sdk.XunitException)
            {
                Assert.Fail($"case {i} threw {ex.GetType().Name}: {ex.Message}\n{ex.StackTrace}\n--- document ---\n{document}");
            }
        }
    }

    private static void Check(string document, ProjectLoadOptions options)
    {
        try
        {
            var project = ProjectLoader.Parse([("fuzz.yml", document)], options);
            ProjectWriter.ToJson(project);
            ProjectWriter.ToYaml(project);
        }
        catch (ConfigException ex)
        {
            Assert.NotEmpty(ex.Errors);
            foreach (var error in ex.Errors)
            {
                Assert.True(error.Location.File == "fuzz.yml" && error.Location.Line >= 1 && error.Location.Column >= 1,
                    $"unlocated error {error} in\n{document}");
                Assert.False(string.IsNullOrWhiteSpace(error.Message));
            }
        }
    }

    private static string Mutate(string text, Random random)
    {
        var rounds = 1 + random.Next(4);
        for (var r = 0; r < rounds; r++)
        {
            var lines = text.Split('\n').ToList();
            var line = random.Next(lines.Count);
            switch (random.Next(7))
            {
                case 0:
                    var sb = new StringBuilder(text);
                    var at = random.Next(sb.Length);
                    sb[at] = (char)(sb[at] ^ (1 << random.Next(7)));
                    text = sb.ToString();
                    continue;
                case 1:
                    var pos = random.Next(text.Length);
                    text = text.Insert(pos, Fragments[random.Next(Fragments.Length)]);
                    continue;
                case 2:
                    var tokens = lines[line].Split(' ');
                    if (tokens.Length > 1)
                    {
                        var drop = random.Next(tokens.Length);
                        lines[line] = string.Join(' ', tokens.Where((_, k) => k != drop));
                    }

                    break;
                case 3:
                    lines.Insert(line, lines[line]);
                    break;
                case 4:
                    lines[line] = new string(' ', random.Next(12)) + lines[line].TrimStart();
                    break;
                case 5:
                    var colon = lines[line].IndexOf(": ", StringComparison.Ordinal);
                    if (colon > 0)
                    {
                        string[] swaps = ["[x, y]", "{k: v}", "42", "null", "true", "\"s\"", "[]", "{}", "- a"];
                        lines[line] = lines[line][..(colon + 2)] + swaps[random.Next(swaps.Length)];
                    }

                    break;
                default:
                    lines.RemoveAt(line);
                    break;
            }

            text = string.Join('\n', lines);
        }

        return text;
    }
}
