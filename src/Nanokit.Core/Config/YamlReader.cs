using Nanokit.Core.Diagnostics;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Nanokit.Core.Config;

/// <summary>
/// Turns YAML text into a <see cref="ConfigNode"/> tree from YamlDotNet's event parser.
/// Design note: the builder is iterative (an explicit stack), so nesting depth is checked before it can
/// overflow anything; aliases point at the anchored node instead of copying it, and every alias adds the
/// anchored node's expanded weight to a budget, which stops "billion laughs" documents before any walk
/// expands them. Merge keys (<c>&lt;&lt;</c>) are resolved here, as YAML 1.1 and Compose define them.
/// Most files are plain block YAML; <see cref="BlockYamlReader"/> reads those several times faster and hands
/// everything else (anchors, block scalars, escapes, anything malformed) to the event parser below, which
/// stays the reference: the two must build identical trees, locations included.
/// </summary>
internal static class YamlReader
{
    internal const int MaxDepth = 64;
    internal const long MaxAliasExpansion = 1_000_000;

    public static ConfigNode? Read(string file, string text, List<ConfigError> errors) =>
        BlockYamlReader.TryRead(file, text) ?? ReadEvents(file, text, errors);

    /// <summary>The reference reader on YamlDotNet's event parser: any YAML, every error located.</summary>
    internal static ConfigNode? ReadEvents(string file, string text, List<ConfigError> errors)
    {
        var parser = new Parser(new StringReader(text));
        var anchors = new Dictionary<string, ConfigNode>(StringComparer.Ordinal);
        var stack = new Stack<Frame>();
        ConfigNode? root = null;
        var documents = 0;
        long aliasBudget = 0;
        var lastMark = Mark.Empty;
        try
        {
            while (parser.MoveNext())
            {
                var ev = parser.Current!;
                lastMark = ev.End;
                switch (ev)
                {
                    case DocumentStart:
                        documents++;
                        if (documents > 1)
                        {
                            errors.Add(new ConfigError(Loc(file, ev.Start), "a configuration file holds one YAML document; found a second one"));
                            return null;
                        }

                        break;
                    case Scalar s:
                        Add(new ScalarNode(file, Line(s.Start), Column(s.Start), s.Value, s.Style == ScalarStyle.Plain && s.Tag.IsEmpty), s.Anchor);
                        break;
                    case AnchorAlias a:
                        if (!anchors.TryGetValue(a.Value.Value, out var target))
                        {
                            errors.Add(new ConfigError(Loc(file, a.Start), "unknown alias (an alias must follow its anchor, and cannot refer to a node that contains it)"));
                            return null;
                        }

                        aliasBudget += target.Weight;
                        if (aliasBudget > MaxAliasExpansion)
                        {
                            errors.Add(new ConfigError(Loc(file, a.Start), $"aliases expand to more than {MaxAliasExpansion} nodes; refusing a document that could exhaust memory"));
                            return null;
                        }

                        Add(target, AnchorName.Empty);
                        break;
                    case SequenceStart ss:
                        if (!Push(new Frame(file, ss.Start, ss.Anchor, isMapping: false)))
                        {
                            return null;
                        }

                        break;
                    case MappingStart ms:
                        if (!Push(new Frame(file, ms.Start, ms.Anchor, isMapping: true)))
                        {
                            return null;
                        }

                        break;
                    case SequenceEnd:
                    case MappingEnd:
                        var frame = stack.Pop();
                        var node = frame.Build(errors);
                        if (node is null)
                        {
                            return null;
                        }

                        Add(node, frame.Anchor);
                        break;
                }
            }
        }
        catch (YamlException ex)
        {
            errors.Add(new ConfigError(Loc(file, ex.Start), "YAML syntax error: " + Describe(ex)));
            return null;
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or IndexOutOfRangeException or FormatException or OverflowException)
        {
            // YamlDotNet's scanner throws these on some malformed input (found by the fuzz test) instead of a
            // YamlException; the last event that parsed is the closest position we know.
            errors.Add(new ConfigError(Loc(file, lastMark), "YAML syntax error after this point: the document could not be parsed"));
            return null;
        }

        return root ?? new ScalarNode(file, 1, 1, "", isPlain: true);

        bool Push(Frame frame)
        {
            if (stack.Count >= MaxDepth)
            {
                errors.Add(new ConfigError(new SourceLocation(frame.File, frame.Line, frame.Column), $"nesting deeper than {MaxDepth} levels"));
                return false;
            }

            stack.Push(frame);
            return true;
        }

        void Add(ConfigNode node, AnchorName anchor)
        {
            if (!anchor.IsEmpty)
            {
                anchors[anchor.Value] = node;
            }

            if (stack.Count == 0)
            {
                root = node;
            }
            else
            {
                stack.Peek().Children.Add(node);
            }
        }
    }

    private static SourceLocation Loc(string file, Mark mark) => new(file, Line(mark), Column(mark));

    private static int Line(Mark mark) => (int)Math.Max(1, mark.Line);

    private static int Column(Mark mark) => (int)Math.Max(1, mark.Column);

    private static string Describe(YamlException ex)
    {
        // YamlDotNet prefixes messages with "(Line: 3, Col: 5, Idx: ...) - (...): "; the location is already in front.
        var message = ex.Message;
        var cut = message.LastIndexOf("): ", StringComparison.Ordinal);
        return cut >= 0 ? message[(cut + 3)..] : message;
    }

    private sealed class Frame(string file, Mark start, AnchorName anchor, bool isMapping)
    {
        public string File { get; } = file;

        public int Line { get; } = YamlReader.Line(start);

        public int Column { get; } = YamlReader.Column(start);

        public AnchorName Anchor { get; } = anchor;

        public List<ConfigNode> Children { get; } = [];

        public ConfigNode? Build(List<ConfigError> errors)
        {
            long weight = 1;
            var mayInterpolate = false;
            for (var i = 0; i < Children.Count; i++)
            {
                weight += Children[i].Weight;

                // Keys are never interpolated, so only values (every child of a sequence, odd children of a mapping) count.
                mayInterpolate |= (!isMapping || i % 2 == 1) && Children[i].MayInterpolate;
            }

            if (!isMapping)
            {
                return new SequenceNode(File, Line, Column, [.. Children], weight) { MayInterpolate = mayInterpolate };
            }

            var entries = new List<KeyValuePair<ScalarNode, ConfigNode>>(Children.Count / 2);
            var seen = new Dictionary<string, int>(Children.Count / 2, StringComparer.Ordinal);
            List<(ScalarNode Key, ConfigNode Value)>? merges = null;
            for (var i = 0; i + 1 < Children.Count; i += 2)
            {
                if (Children[i] is not ScalarNode key)
                {
                    errors.Add(new ConfigError(Children[i].Location, $"a mapping key must be a string, got {Children[i].KindName}"));
                    continue;
                }

                if (key.IsPlain && key.Value == "<<")
                {
                    (merges ??= []).Add((key, Children[i + 1]));
                    continue;
                }

                if (!seen.TryAdd(key.Value, entries.Count))
                {
                    errors.Add(new ConfigError(key.Location, $"duplicate key \"{key.Value}\" in mapping"));
                    continue;
                }

                entries.Add(new(key, Children[i + 1]));
            }

            if (merges is not null)
            {
                foreach (var (key, value) in merges)
                {
                    MergeInto(key, value, entries, seen, errors);
                }
            }

            // Merged entries come from nodes already counted above (the << value), so the flag stays exact.
            return new MappingNode(File, Line, Column, [.. entries], seen, weight) { MayInterpolate = mayInterpolate };
        }

        // YAML merge keys: explicit keys win, then earlier merge sources win over later ones.
        private static void MergeInto(ScalarNode key, ConfigNode value, List<KeyValuePair<ScalarNode, ConfigNode>> entries, Dictionary<string, int> seen, List<ConfigError> errors)
        {
            var sources = value switch
            {
                MappingNode m => [m],
                SequenceNode s when s.Items.All(i => i is MappingNode) => s.Items.Cast<MappingNode>().ToArray(),
                _ => null,
            };
            if (sources is null)
            {
                errors.Add(new ConfigError(value.Location, $"merge key << expects a mapping or a sequence of mappings, got {value.KindName}"));
                return;
            }

            foreach (var source in sources)
            {
                foreach (var entry in source.Entries)
                {
                    if (seen.TryAdd(entry.Key.Value, entries.Count))
                    {
                        entries.Add(entry);
                    }
                }
            }
        }
    }
}
