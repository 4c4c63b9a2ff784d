using System.CommandLine;
using Nanokit.Server;

namespace Nanokit.Cli.Commands;

/// <summary>
/// <c>nkapp server</c>: runs a control-plane node until SIGINT/SIGTERM, then leaves the cluster gracefully and exits 0.
/// A setting it cannot start with is one line on stderr and exit 1.
/// </summary>
internal static class ServerCommand
{
    public static Command Create(CliContext context)
    {
        var listen = new Option<string?>("--listen") { Description = "HOST:PORT for gRPC and management HTTP (default 127.0.0.1:7950)" };
        var hubListen = new Option<string?>("--hub-listen") { Description = "HOST:PORT serving the same routes over HTTP/1.1 for browsers: the Hub at /hub/ (default: none)" };
        var cluster = new Option<string?>("--cluster") { Description = "HOST:PORT for Akka remoting; other nodes dial it (default 127.0.0.1:7951)" };
        var seeds = new Option<string[]>("--seed") { Description = "HOST:PORT of a node to join; repeatable (none: form a new cluster)" };
        var store = new Option<string?>("--store") { Description = "PostgreSQL connection string (default: $NANOKIT_STORE)" };
        var name = new Option<string?>("--name") { Description = "This node's name in logs (default: its cluster address)" };
        var tokens = new Option<string?>("--token-file") { Description = "Bearer tokens, one `sha256:HEX read|write|admin` per line" };
        var tlsCert = new Option<string?>("--tls-cert") { Description = "PEM certificate: serve TLS instead of h2c" };
        var tlsKey = new Option<string?>("--tls-key") { Description = "PEM private key of --tls-cert" };
        var extra = new Option<string?>("--config") { Description = "HOCON file applied over hocon/server.conf" };
        var command = new Command("server", "Run a control-plane node (gRPC API, Akka.NET cluster, PostgreSQL store)")
        {
            listen, hubListen, cluster, seeds, store, name, tokens, tlsCert, tlsKey, extra,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (ServerProcess.ApplyRuntimeSettings() is { } warning)
            {
                context.Error.WriteLine(warning);
            }

            var options = new ServerOptions
            {
                Listen = parse.GetValue(listen),
                HubListen = parse.GetValue(hubListen),
                Cluster = parse.GetValue(cluster),
                Seeds = [.. parse.GetValue(seeds) ?? []],
                Store = parse.GetValue(store) ?? context.Environment.GetValueOrDefault("NANOKIT_STORE"),
                Name = parse.GetValue(name),
                TokenFile = parse.GetValue(tokens),
                TlsCertificate = parse.GetValue(tlsCert),
                TlsKey = parse.GetValue(tlsKey),
                ExtraHocon = parse.GetValue(extra) is { } file ? await File.ReadAllTextAsync(Path.GetFullPath(file, context.WorkingDirectory), cancellationToken).ConfigureAwait(false) : null,
            };
            try
            {
                await ServerHost.RunAsync(options, cancellationToken).ConfigureAwait(false);
                return ExitCodes.Ok;
            }
            catch (ServerConfigException e)
            {
                context.Error.WriteLine(e.Message);
                return ExitCodes.Error;
            }
        });
        return command;
    }
}
