using System.Net;
using Akka.Configuration;

namespace Nanokit.Server.Hub;

/// <summary>
/// nanokit.server.hub (hocon/server.conf documents each key), with <c>--hub-listen</c> over it. <see cref="Listen"/>:
/// a second listener, speaking HTTP/1.1 (browsers never speak cleartext HTTP/2, the only protocol of a cleartext
/// --listen), that serves every route of --listen; null when none is asked for.
/// </summary>
internal sealed record HubSettings(DnsEndPoint? Listen)
{
    public static HubSettings From(ServerOptions options, Config config)
    {
        var listen = options.HubListen ?? config.GetString("nanokit.server.hub.listen");
        return new HubSettings(listen is { Length: > 0 } ? ServerSettings.Endpoint(listen, "--hub-listen") : null);
    }
}
