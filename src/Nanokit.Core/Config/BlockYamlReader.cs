using System.Buffers;
using System.Collections.Immutable;
using System.Runtime.InteropServices;

namespace Nanokit.Core.Config;

/// <summary>
/// A fast path for the YAML that configuration files are nearly always written in: block mappings and
/// sequences indented with spaces, plain and simple quoted scalars, and one-line flow collections.
/// Design note: YamlDotNet's parser allocates a token, an event and several marks per scalar, which made it
/// most of the load time of a 10 k-service file. This reader walks the text once, line by line, and builds
/// the <see cref="ConfigNode"/> tree directly. It is deliberately narrow: on anything it does not fully
/// understand — anchors, aliases, tags, block scalars, escapes, multi-line scalars or collections, tabs,
/// non-ASCII text, document markers, duplicate keys, excessive nesting, any syntax error — it gives up and
/// returns null, and <see cref="YamlReader.ReadEvents"/> reads the file instead. So it never has to produce an
/// error message, only a tree identical to the reference reader's, locations included (marks are 1-based; a
/// collection starts at its first key, dash or bracket; an empty value sits just after its ':' or '-').
/// </summary>
internal sealed partial class BlockYamlReader
{
    /// <summary>Below <see cref="YamlReader.MaxDepth"/>, so that the reference reader reports depth errors.</summary>
    private const int MaxDepth = YamlReader.MaxDepth - 2;

    /// <summary>Printable ASCII and '\n': anything else (tabs, '\r' outside "\r\n", non-ASCII) goes to the reference reader.</summary>
    private static readonly SearchValues<char> Simple = SearchValues.Create(
        "\n !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~");

    private readonly string _file;
    private readonly string _text;

    // Entries and items of the collections being read, innermost last: a finished collection moves its own into an
    // array of the exact size, so no list is allocated or grown per collection.
    private readonly List<KeyValuePair<ScalarNode, ConfigNode>> _entries = [];
    private readonly List<ConfigNode> _items = [];

    // Keys and many values repeat across services ("image", "CMD", "5s"): each distinct text is allocated once per file.
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> _strings =
        new HashSet<string>(StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();

    // The current line: its 1-based number, where it starts, where its content (after the indentation) starts,
    // and where it ends (before "\n" or "\r\n"). _pos moves within it.
    private int _line;
    private int _lineStart;
    private int _indent;
    private int _end;
    private int _next;
    private int _pos;
    private bool _eof;
    private int _depth;

    private BlockYamlReader(string file, string text)
    {
        _file = file;
        _text = text;
    }

    /// <summary>The tree of <paramref name="text"/>, or null when the reference reader must read it.</summary>
    public static ConfigNode? TryRead(string file, string text)
    {
        if (!IsSimpleText(text))
        {
            return null;
        }

        var reader = new BlockYamlReader(file, text);
        reader._next = 0;
        if (!reader.NextContentLine() || reader._indent != 0)
        {
            return null;
        }

        var root = reader.Block(0);
        return root is not null && reader._eof ? root : null;
    }

    private static bool IsSimpleText(string text)
    {
        var span = text.AsSpan();
        var offset = 0;
        while (true)
        {
            var i = span[offset..].IndexOfAnyExcept(Simple);
            if (i < 0)
            {
                return true;
            }

            offset += i;
            if (span[offset] != '\r' || offset + 1 >= span.Length || span[offset + 1] != '\n')
            {
                return false;
            }

            offset++;
        }
    }

    /// <summary>Moves to the next line that holds more than spaces or a comment; false at the end of the text.</summary>
    private bool NextContentLine()
    {
        while (_next < _text.Length)
        {
            _line++;
            _lineStart = _next;
            var newline = _text.IndexOf('\n', _lineStart);
            _next = newline < 0 ? _text.Length : newline + 1;
            _end = newline < 0 ? _text.Length : newline > _lineStart && _text[newline - 1] == '\r' ? newline - 1 : newline;
            var content = _lineStart;
            while (content < _end && _text[content] == ' ')
            {
                content++;
            }

            if (content == _end || _text[content] == '#')
            {
                continue;
            }

            _indent = content - _lineStart;
            _pos = content;
            return true;
        }

        _eof = true;
        _indent = -1;
        return false;
    }

    private int Column(int index) => index - _lineStart + 1;

    /// <summary>The text between <paramref name="start"/> and <paramref name="end"/>, shared with every equal text read before.</summary>
    private string Text(int start, int end)
    {
        var span = _text.AsSpan(start, end - start);
        if (!_strings.TryGetValue(span, out var text))
        {
            text = span.ToString();
            _strings.Set.Add(text);
        }

        return text;
    }

    /// <summary>Moves the entries or items a collection added to <paramref name="scratch"/> from <paramref name="first"/> on into an array.</summary>
    private static ImmutableArray<T> Take<T>(List<T> scratch, int first)
    {
        ImmutableArray<T> taken = [.. CollectionsMarshal.AsSpan(scratch)[first..]];
        scratch.RemoveRange(first, taken.Length);
        return taken;
    }

    /// <summary>A block mapping or sequence whose first entry starts at _pos, at column <paramref name="indent"/> (0-based).</summary>
    private ConfigNode? Block(int indent)
    {
        if (_depth >= MaxDepth || IsDocumentMarker(_pos))
        {
            return null;
        }

        _depth++;
        var node = IsDash(_pos) ? Sequence(indent) : KeyEnd(_pos) >= 0 ? Mapping(indent) : null;
        _depth--;
        return node;
    }

    /// <summary>"---" or "..." at the start of a line (followed by anything, to stay on the safe side).</summary>
    private bool IsDocumentMarker(int at) =>
        at == _lineStart && _end - at >= 3
        && ((_text[at] == '-' && _text[at + 1] == '-' && _text[at + 2] == '-')
            || (_text[at] == '.' && _text[at + 1] == '.' && _text[at + 2] == '.'));

    /// <summary>A block entry indicator: '-' followed by a space or the end of the line.</summary>
    private bool IsDash(int at) => _text[at] == '-' && (at + 1 == _end || _text[at + 1] == ' ');

    private ConfigNode? Mapping(int indent)
    {
        var line = _line;
        var column = Column(_pos);
        var first = _entries.Count;
        Dictionary<string, int>? index = null;
        long weight = 1;
        var mayInterpolate = false;
        while (true)
        {
            var keyEnd = KeyEnd(_pos);
            if (keyEnd < 0)
            {
                return null;
            }

            var key = new ScalarNode(_file, _line, Column(_pos), Text(_pos, keyEnd), isPlain: true);
            if (!AddKey(first, ref index, key.Value))
            {
                return null;
            }

            var colon = keyEnd;
            _pos = colon + 1;
            var value = Value(indent, colon, insideSequence: false);
            if (value is null)
            {
                return null;
            }

            _entries.Add(new(key, value));
            weight += 1 + value.Weight;
            mayInterpolate |= value.MayInterpolate;
            if (_eof || _indent < indent)
            {
                break;
            }

            if (_indent > indent || IsDash(_pos))
            {
                return null;
            }
        }

        return new MappingNode(_file, line, column, Take(_entries, first), index, weight) { MayInterpolate = mayInterpolate };
    }

    private ConfigNode? Sequence(int indent)
    {
        var line = _line;
        var column = Column(_pos);
        var first = _items.Count;
        long weight = 1;
        var mayInterpolate = false;
        while (true)
        {
            var dash = _pos;
            _pos = dash + 1;
            var item = Value(indent, dash, insideSequence: true);
            if (item is null)
            {
                return null;
            }

            _items.Add(item);
            weight += item.Weight;
            mayInterpolate |= item.MayInterpolate;

            // A line at this indentation that is not an entry ends the sequence: it is the next key of a mapping
            // holding this sequence without indenting it, which that mapping checks.
            if (_eof || _indent < indent || (_indent == indent && !IsDash(_pos)))
            {
                break;
            }

            if (_indent > indent)
            {
                return null;
            }
        }

        return new SequenceNode(_file, line, column, Take(_items, first), weight) { MayInterpolate = mayInterpolate };
    }

    /// <summary>
    /// The value after a key's ':' or a sequence's '-' (at <paramref name="indicator"/>; _pos just after it),
    /// belonging to a collection at column <paramref name="indent"/>. Leaves the reader on the next content line.
    /// </summary>
    private ConfigNode? Value(int indent, int indicator, bool insideSequence)
    {
        SkipSpaces();
        if (_pos == _end || _text[_pos] == '#')
        {
            // Nothing on this line: the value is the block below, or empty (null) when nothing is indented more.
            var emptyLine = _line;
            var emptyColumn = Column(indicator + 1);
            NextContentLine();
            if (!_eof && (_indent > indent || (!insideSequence && _indent == indent && IsDash(_pos))))
            {
                return Block(_indent);
            }

            return new ScalarNode(_file, emptyLine, emptyColumn, "", isPlain: true);
        }

        if (insideSequence && (IsDash(_pos) || KeyEnd(_pos) >= 0))
        {
            // "- key: value" opens a mapping whose keys line up with the first one; "- - x" a nested sequence.
            return Block(Column(_pos) - 1);
        }

        var node = InlineValue();
        if (node is null)
        {
            return null;
        }

        NextContentLine();

        // A more indented line would continue a multi-line plain scalar, or be an error: the reference reader decides.
        return !_eof && _indent > indent ? null : node;
    }

    /// <summary>A one-line value at _pos: a flow collection, a quoted or a plain scalar, then only a comment.</summary>
    private ConfigNode? InlineValue()
    {
        ConfigNode? node = _text[_pos] switch
        {
            '[' => FlowSequence(),
            '{' => FlowMapping(),
            '"' or '\'' => Quoted(),
            _ => PlainBlockScalar(),
        };
        if (node is null)
        {
            return null;
        }

        SkipSpaces();
        return _pos == _end || (_text[_pos] == '#' && _text[_pos - 1] == ' ') ? node : null;
    }

    private ScalarNode? PlainBlockScalar()
    {
        var start = _pos;
        if (!CanStartPlain(start))
        {
            return null;
        }

        var stop = start;
        for (var i = start; i < _end; i++)
        {
            var c = _text[i];
            if (c == ':' && (i + 1 == _end || _text[i + 1] == ' '))
            {
                // "a: b" as a value is a mapping where none may start.
                return null;
            }

            if (c == '#' && _text[i - 1] == ' ')
            {
                break;
            }

            if (c != ' ')
            {
                stop = i + 1;
            }
        }

        _pos = stop;
        return new ScalarNode(_file, _line, Column(start), Text(start, stop), isPlain: true);
    }

    /// <summary>A quoted scalar on one line: double-quoted without escapes, or single-quoted without doubled quotes.</summary>
    private ScalarNode? Quoted()
    {
        var quote = _text[_pos];
        var start = _pos;
        var close = _text.IndexOf(quote, start + 1, _end - start - 1);
        if (close < 0)
        {
            return null;
        }

        if ((quote == '"' && _text.AsSpan(start + 1, close - start - 1).Contains('\\')) || (quote == '\'' && close + 1 < _end && _text[close + 1] == '\''))
        {
            return null;
        }

        _pos = close + 1;

        // A quoted key ("a": b) is left to the reference reader.
        if (_pos < _end && _text[_pos] == ':')
        {
            return null;
        }

        return new ScalarNode(_file, _line, Column(start), Text(start + 1, close), isPlain: false);
    }

    /// <summary>Where a plain key starting at <paramref name="at"/> ends (its ':'), or -1 when the line does not start with one.</summary>
    private int KeyEnd(int at)
    {
        if (!CanStartPlain(at))
        {
            return -1;
        }

        for (var i = at; i < _end; i++)
        {
            var c = _text[i];
            if (c == ':' && (i + 1 == _end || _text[i + 1] == ' '))
            {
                // A merge key must be resolved, and YAML caps implicit keys at 1024 characters: both go to the reference reader.
                return _text[i - 1] == ' ' || i - at > 1000 || (i - at == 2 && _text[at] == '<' && _text[at + 1] == '<') ? -1 : i;
            }

            if (!IsKeyChar(c) || (c == '#' && _text[i - 1] == ' '))
            {
                return -1;
            }
        }

        return -1;
    }

    /// <summary>
    /// False when <paramref name="key"/> is already among the entries of the mapping starting at <paramref name="first"/>
    /// in _entries; past <see cref="MappingNode.LinearSearchLimit"/> entries it keeps the mapping's index of keys.
    /// </summary>
    private bool AddKey(int first, ref Dictionary<string, int>? index, string key)
    {
        var count = _entries.Count - first;
        if (index is not null)
        {
            return index.TryAdd(key, count);
        }

        for (var i = first; i < _entries.Count; i++)
        {
            if (string.Equals(_entries[i].Key.Value, key, StringComparison.Ordinal))
            {
                return false;
            }
        }

        if (count == MappingNode.LinearSearchLimit)
        {
            index = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var i = 0; i < count; i++)
            {
                index[_entries[first + i].Key.Value] = i;
            }

            index[key] = count;
        }

        return true;
    }

    /// <summary>
    /// A plain scalar may not start with an indicator; '-' may start one when a plain character follows ("-f").
    /// '?', ':' and the reserved '@' and '`' are left to the reference reader.
    /// </summary>
    private bool CanStartPlain(int at) => _text[at] switch
    {
        '-' => at + 1 < _end && IsFlowPlainChar(_text[at + 1]) && _text[at + 1] != ' ' && !IsDocumentMarker(at),
        '.' => !IsDocumentMarker(at),
        '?' or ':' or ',' or '[' or ']' or '{' or '}' or '#' or '&' or '*' or '!' or '|' or '>' or '\'' or '"' or '%' or '@' or '`' or ' ' => false,
        _ => true,
    };

    private static bool IsFlowPlainChar(char c) => c is not (',' or '[' or ']' or '{' or '}' or '#' or ':' or '"' or '\'' or '&' or '*' or '!' or '|' or '>' or '%' or '@' or '`' or '?');

    private static bool IsKeyChar(char c) => c is not ('[' or ']' or '{' or '}' or ',' or '"' or '\'' or '&' or '*' or '!' or '|' or '>' or '%' or '@' or '`' or '?');

    private void SkipSpaces()
    {
        while (_pos < _end && _text[_pos] == ' ')
        {
            _pos++;
        }
    }
}
