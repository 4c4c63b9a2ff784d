namespace Nanokit.Core.Config;

/// <summary>One-line flow collections (<c>[a, "b"]</c>, <c>{k: v}</c>) for <see cref="BlockYamlReader"/>; anything longer or nested deeper is declined.</summary>
internal sealed partial class BlockYamlReader
{
    private SequenceNode? FlowSequence()
    {
        var column = Column(_pos);
        _pos++;
        var first = _items.Count;
        long weight = 1;
        var mayInterpolate = false;
        SkipSpaces();
        if (_pos < _end && _text[_pos] == ']')
        {
            _pos++;
            return new SequenceNode(_file, _line, column, [], weight: 1) { MayInterpolate = false };
        }

        while (true)
        {
            SkipSpaces();
            if (_pos == _end)
            {
                return null;
            }

            var item = _text[_pos] is '"' or '\'' ? Quoted() : PlainFlowScalar();
            if (item is null)
            {
                return null;
            }

            _items.Add(item);
            weight += 1;
            mayInterpolate |= item.MayInterpolate;
            SkipSpaces();
            if (_pos == _end)
            {
                return null;
            }

            var c = _text[_pos++];
            if (c == ']')
            {
                return new SequenceNode(_file, _line, column, Take(_items, first), weight) { MayInterpolate = mayInterpolate };
            }

            if (c != ',')
            {
                return null;
            }
        }
    }

    /// <summary>A one-line flow mapping of plain keys to scalars or flow sequences, e.g. <c>{test: [CMD, x], interval: 5s}</c>.</summary>
    private MappingNode? FlowMapping()
    {
        var column = Column(_pos);
        _pos++;
        var first = _entries.Count;
        Dictionary<string, int>? index = null;
        long weight = 1;
        var mayInterpolate = false;
        while (true)
        {
            SkipSpaces();
            if (_pos == _end || !CanStartPlain(_pos))
            {
                return null;
            }

            var keyStart = _pos;
            while (_pos < _end && _text[_pos] != ':' && IsFlowPlainChar(_text[_pos]))
            {
                _pos++;
            }

            if (_pos + 1 >= _end || _text[_pos] != ':' || _text[_pos + 1] != ' ' || _text[_pos - 1] == ' ')
            {
                return null;
            }

            var key = new ScalarNode(_file, _line, Column(keyStart), Text(keyStart, _pos), isPlain: true);
            if (!AddKey(first, ref index, key.Value))
            {
                return null;
            }

            _pos++;
            SkipSpaces();
            if (_pos == _end)
            {
                return null;
            }

            ConfigNode? value = _text[_pos] switch
            {
                '[' => FlowSequence(),
                '"' or '\'' => Quoted(),
                _ => PlainFlowScalar(),
            };
            if (value is null)
            {
                return null;
            }

            _entries.Add(new(key, value));
            weight += 1 + value.Weight;
            mayInterpolate |= value.MayInterpolate;
            SkipSpaces();
            if (_pos == _end)
            {
                return null;
            }

            var c = _text[_pos++];
            if (c == '}')
            {
                return new MappingNode(_file, _line, column, Take(_entries, first), index, weight) { MayInterpolate = mayInterpolate };
            }

            if (c != ',')
            {
                return null;
            }
        }
    }

    /// <summary>A plain scalar inside brackets or braces: no indicators inside, ends before ',', ']' or '}'.</summary>
    private ScalarNode? PlainFlowScalar()
    {
        var start = _pos;
        if (!CanStartPlain(start))
        {
            return null;
        }

        var stop = start;
        var i = start;
        for (; i < _end; i++)
        {
            var c = _text[i];
            if (c is ',' or ']' or '}')
            {
                break;
            }

            if (!IsFlowPlainChar(c))
            {
                return null;
            }

            if (c != ' ')
            {
                stop = i + 1;
            }
        }

        _pos = stop;
        return new ScalarNode(_file, _line, Column(start), Text(start, stop), isPlain: true);
    }
}
