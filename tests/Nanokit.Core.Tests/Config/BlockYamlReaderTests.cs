using System.Text;
using Nanokit.Core.Config;
using Nanokit.Core.Diagnostics;
using Xunit;

namespace Nanokit.Core.Tests.Config;

/// <summary>
/// The fast block reader must build exactly the tree the reference (YamlDotNet event) reader builds — values,
/// styles, locations, alias weights — or decline the document. Mutations are seeded so a failure reproduces.
/// </summary>
public sealed class BlockYamlReaderTests
{
    private const int Mutations = 20_000;
    private const int Seed = 20260611;

    private static readonly string[] Seeds =
    [
        "name: shop\nservices:\n  web:\n    image: registry.example/app:1.2\n    command: [\"serve\", \"--port\", \"8080\"]\n"
            + "    environment:\n      LOG_LEVEL: info\n      ID: \"7\"\n      EMPTY:\n      TAG: ${TAG:-1}\n"
            + "    labels:\n      team: team-1 # owner\n    ports:\n      - \"10000:8080\"\n"
            + "    healthcheck:\n      test: [\"CMD\", \"curl\", \"-f\", \"http://localhost:8080/health\"]\n      interval: 5s\n"
            + "    deploy:\n      replicas: 2\n    depends_on:\n      - db\n  db:\n    image: 'postgres:16'\n    command: run -x\n",
        "services:\n  a:\n    depends_on:\n    - b\n    - c\n    ports:\n    - target: 80\n      published: 8080\n    -\n    - - nested\n"
            + "    healthcheck: {test: [CMD, check], interval: 10s}\n    profiles: []\n  b:\n  c: ~\n",
        "a: b\r\nc:\r\n  - d\r\n  - e: f\r\n# trailing comment\r\n",
        "x: &anchor\n  y: 1\nz: *anchor\n",
        "text: |\n  two\n  lines\nfolded: >\n  a\n  b\n",
        "plain: a\n  continued\nquoted: \"esc\\t\"\n",
    ];

    private const string Alphabet = " \n:-#[]{},\"'&*!|>%@`?\t\\$<.~ab019\r";

    [Fact]
    public void The_fast_reader_reads_plain_block_yaml_without_the_event_parser()
    {
        Assert.NotNull(BlockYamlReader.TryRead("f.yml", Seeds[0]));
        Assert.NotNull(BlockYamlReader.TryRead("f.yml", Seeds[1]));
        Assert.NotNull(BlockYamlReader.TryRead("f.yml", Seeds[2]));
    }

    [Theory]
    [InlineData("x: &a\n  y: 1\nz: *a\n")]
    [InlineData("base: {a: 1}\nm:\n  <<: {b: 2}\n")]
    [InlineData("text: |\n  block\n")]
    [InlineData("a: \"esc\\n\"\n")]
    [InlineData("a: b\n  continued\n")]
    [InlineData("a: 1\na: 2\n")]
    [InlineData("a:\n\tb: 1\n")]
    [InlineData("a: é\n")]
    [InlineData("---\na: 1\n")]
    [InlineData("a: [1,\n  2]\n")]
    public void The_fast_reader_leaves_everything_else_to_the_reference_reader(string yaml)
    {
        Assert.Null(BlockYamlReader.TryRead("f.yml", yaml));
    }

    [Fact]
    public void The_fast_reader_builds_the_reference_tree_or_declines()
    {
        var random = new Random(Seed);
        var accepted = 0;
        for (var n = 0; n < Seeds.Length + Mutations; n++)
        {
            var doc = n < Seeds.Length ? Seeds[n] : Mutate(Seeds[random.Next(Seeds.Length)], random);
            if (BlockYamlReader.TryRead("f.yml", doc) is not { } fast)
            {
                continue;
            }

            accepted++;
            var errors = new List<ConfigError>();
            var reference = YamlReader.ReadEvents("f.yml", doc, errors);
            Assert.True(errors.Count == 0, $"accepted a document the reference rejects: {string.Join("; ", errors)}\n{doc}");
            var difference = Difference(fast, reference!, "$");
            Assert.True(difference is null, $"{difference}\n{doc}");
        }

        Assert.True(accepted > Mutations / 20, $"only {accepted} documents took the fast path");
    }

    private static string Mutate(string seed, Random random)
    {
        var sb = new StringBuilder(seed);
        var edits = 1 + random.Next(3);
        for (var e = 0; e < edits && sb.Length > 0; e++)
        {
            var at = random.Next(sb.Length);
            switch (random.Next(4))
            {
                case 0:
                    sb.Insert(at, Alphabet[random.Next(Alphabet.Length)]);
                    break;
                case 1:
                    sb.Remove(at, 1);
                    break;
                case 2:
                    sb[at] = Alphabet[random.Next(Alphabet.Length)];
                    break;
                default:
                    sb.Insert(at, "  ");
                    break;
            }
        }

        return sb.ToString();
    }

    private static string? Difference(ConfigNode a, ConfigNode b, string path)
    {
        if (a.GetType() != b.GetType() || a.Location != b.Location || a.Weight != b.Weight || a.MayInterpolate != b.MayInterpolate)
        {
            return $"{path}: {a.KindName} at {a.Location} (weight {a.Weight}, ${a.MayInterpolate}) vs {b.KindName} at {b.Location} (weight {b.Weight}, ${b.MayInterpolate})";
        }

        switch (a, b)
        {
            case (ScalarNode x, ScalarNode y):
                return x.Value == y.Value && x.IsPlain == y.IsPlain ? null : $"{path}: [{x.Value}] plain={x.IsPlain} vs [{y.Value}] plain={y.IsPlain}";
            case (SequenceNode x, SequenceNode y):
                if (x.Items.Length != y.Items.Length)
                {
                    return $"{path}: {x.Items.Length} items vs {y.Items.Length}";
                }

                for (var i = 0; i < x.Items.Length; i++)
                {
                    if (Difference(x.Items[i], y.Items[i], $"{path}[{i}]") is { } d)
                    {
                        return d;
                    }
                }

                return null;
            case (MappingNode x, MappingNode y):
                if (x.Entries.Length != y.Entries.Length)
                {
                    return $"{path}: {x.Entries.Length} entries vs {y.Entries.Length}";
                }

                for (var i = 0; i < x.Entries.Length; i++)
                {
                    var key = x.Entries[i].Key.Value;
                    if ((Difference(x.Entries[i].Key, y.Entries[i].Key, $"{path}.<key {i}>") ?? Difference(x.Entries[i].Value, y.Entries[i].Value, $"{path}.{key}")) is { } d)
                    {
                        return d;
                    }

                    if (!ReferenceEquals(x[key], x.Entries[i].Value))
                    {
                        return $"{path}: lookup of \"{key}\" finds another entry";
                    }
                }

                return null;
            default:
                return null;
        }
    }
}
