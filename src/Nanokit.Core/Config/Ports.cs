using System.Globalization;
using Nanokit.Core.Model;

namespace Nanokit.Core.Config;

/// <summary>
/// Compose <c>ports</c>: short syntax <c>[[ip:][host[-end]]:]container[-end][/protocol]</c> (IPv6 addresses in
/// brackets, ranges expanded one mapping per port) and long syntax <c>{target, published, host_ip, protocol, mode}</c>.
/// </summary>
internal static class Ports
{
    private static readonly string[] LongKeys = ["target", "published", "host_ip", "protocol", "mode", "name", "app_protocol"];

    public static void Read(ConfigNode node, NodeReader reader, List<PortMapping> into)
    {
        switch (node)
        {
            case ScalarNode { IsNull: false } s:
                var error = ParseShort(s.Value, into);
                if (error is not null)
                {
                    reader.Error(node, $"invalid port \"{s.Value}\": {error}");
                }

                break;
            case MappingNode m:
                ReadLong(m, reader, into);
                break;
            default:
                reader.Error(node, $"ports entry: expected a string or a mapping, got {node.KindName}");
                break;
        }
    }

    internal static string? ParseShort(string text, List<PortMapping> into)
    {
        var protocol = "tcp";
        var slash = text.LastIndexOf('/');
        var spec = text;
        if (slash >= 0)
        {
            protocol = text[(slash + 1)..];
            spec = text[..slash];
            if (protocol is not ("tcp" or "udp" or "sctp"))
            {
                return $"protocol must be tcp, udp or sctp, got \"{protocol}\"";
            }
        }

        string? ip = null;
        if (spec.StartsWith('['))
        {
            var close = spec.IndexOf(']');
            if (close < 0 || close + 1 >= spec.Length || spec[close + 1] != ':')
            {
                return "an IPv6 address must be written [address]:host:container";
            }

            ip = spec[1..close];
            spec = spec[(close + 2)..];
        }

        var parts = spec.Split(':');
        string? host = null;
        string container;
        switch (parts.Length)
        {
            case 1:
                container = parts[0];
                break;
            case 2:
                (host, container) = (parts[0], parts[1]);
                break;
            case 3 when ip is null:
                (ip, host, container) = (parts[0], parts[1], parts[2]);
                break;
            default:
                return "expected [[ip:]host:]container[/protocol]";
        }

        if (ip is { Length: 0 })
        {
            return "the host IP is empty";
        }

        if (!TryRange(container, out var cFrom, out var cTo, out var cError))
        {
            return "container port " + cError;
        }

        if (string.IsNullOrEmpty(host))
        {
            for (var p = cFrom; p <= cTo; p++)
            {
                into.Add(new PortMapping(ip, null, p, protocol));
            }

            return null;
        }

        if (!TryRange(host, out var hFrom, out var hTo, out var hError))
        {
            return "host port " + hError;
        }

        if (hTo - hFrom != cTo - cFrom)
        {
            return "the host and container port ranges must have the same length";
        }

        for (var i = 0; i <= cTo - cFrom; i++)
        {
            into.Add(new PortMapping(ip, hFrom + i, cFrom + i, protocol));
        }

        return null;
    }

    private static bool TryRange(string text, out int from, out int to, out string? error)
    {
        var dash = text.IndexOf('-');
        from = to = 0;
        error = null;
        if (!TryPort(dash < 0 ? text : text[..dash], out from) || !TryPort(dash < 0 ? text : text[(dash + 1)..], out to))
        {
            error = $"\"{text}\" is not a port number (1-65535) or range";
            return false;
        }

        if (to < from)
        {
            error = $"range \"{text}\" ends before it starts";
            return false;
        }

        return true;
    }

    private static bool TryPort(string text, out int port) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is >= 1 and <= 65535;

    private static void ReadLong(MappingNode m, NodeReader reader, List<PortMapping> into)
    {
        reader.CheckKeys(m, "in a ports entry", LongKeys);
        var targetNode = m["target"];
        if (targetNode is null)
        {
            reader.Error(m, "ports entry: \"target\" is required");
            return;
        }

        var target = reader.Int(targetNode, "ports.target");
        int? published = null;
        if (m["published"] is { } pub && reader.String(pub, "ports.published") is { } pubText)
        {
            if (TryPort(pubText, out var p))
            {
                published = p;
            }
            else
            {
                reader.Error(pub, $"invalid port \"{pubText}\": published must be a port number (1-65535)");
                return;
            }
        }

        var protocol = m["protocol"] is { } proto ? reader.String(proto, "ports.protocol") ?? "tcp" : "tcp";
        if (protocol is not ("tcp" or "udp" or "sctp"))
        {
            reader.Error(m["protocol"]!, $"invalid port protocol \"{protocol}\": must be tcp, udp or sctp");
            return;
        }

        if (m["mode"] is { } mode && reader.String(mode, "ports.mode") is { } modeText && modeText is not ("host" or "ingress"))
        {
            reader.Error(mode, $"invalid port mode \"{modeText}\": must be host or ingress");
        }

        var ip = m["host_ip"] is { } ipNode ? reader.String(ipNode, "ports.host_ip") : null;
        if (target is null)
        {
            return;
        }

        if (target is < 1 or > 65535)
        {
            reader.Error(targetNode, $"invalid port \"{target}\": target must be a port number (1-65535)");
            return;
        }

        into.Add(new PortMapping(ip, published, target.Value, protocol));
    }
}
