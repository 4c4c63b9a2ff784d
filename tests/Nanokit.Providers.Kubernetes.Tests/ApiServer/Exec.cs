using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Nanokit.Providers.Kubernetes.Tests.ApiServer;

/// <summary>
/// pods/exec as the API server serves it over WebSockets (remotecommand's channel protocol): GET or POST with repeated
/// <c>command</c>, <c>container</c>, <c>stdout</c>, <c>stderr</c>; 404 for a missing pod, 400 for a pod not running, an
/// unknown container, no command or no stream; the subprotocol chosen from the client's offer (v5.channel.k8s.io, else
/// v4.channel.k8s.io; this server speaks no older one and answers 400 to a client offering neither); then binary messages
/// prefixed with their channel — 1 stdout, 2 stderr — and on channel 3 a Status: Success, or Failure with reason
/// NonZeroExitCode and the code as the ExitCode cause; then a normal close. A client that closes or drops the socket
/// ends the command, as the kubelet does.
/// The command runs as a real process on this machine in a scratch directory standing for the container (removed when
/// the server stops), with the container's env: a hook's command is a program, and a real process gives its real
/// output interleaving, exit code and the cost of a timeout, which an interpreter of a few shell words would only imitate.
/// </summary>
internal sealed class Exec(ObjectStore store, string scratch)
{
    public async Task HandleAsync(HttpContext context, string ns, string name)
    {
        var pod = store.Get("pods", ns, name) ?? throw ApiError.NotFound("pods", name);
        var query = context.Request.Query;
        var command = query["command"].Where(c => c is not null).Select(c => c!).ToList();
        var containers = pod["spec"]!["containers"]!.AsArray();
        var containerName = query["container"].ToString();
        var container = (containerName.Length == 0 && containers.Count == 1 ? containers[0] : containers.FirstOrDefault(c => (string?)c!["name"] == containerName))?.AsObject()
            ?? throw ApiError.BadRequest($"container {containerName} is not valid for pod {name}");
        var phase = (string?)pod["status"]?["phase"];
        if (phase is "Succeeded" or "Failed")
        {
            throw ApiError.BadRequest($"cannot exec into a container in a completed pod; current phase is {phase}");
        }

        if (phase != "Running")
        {
            throw ApiError.BadRequest($"unable to upgrade connection: container not found (\"{container["name"]}\")");
        }

        if (command.Count == 0)
        {
            throw ApiError.BadRequest("you must specify at least 1 command");
        }

        if (query["stdout"] != "true" && query["stderr"] != "true" && query["stdin"] != "true")
        {
            throw ApiError.BadRequest("you must specify at least one of stdin, stdout, stderr");
        }

        if (!context.WebSockets.IsWebSocketRequest)
        {
            throw ApiError.BadRequest("Upgrade request required");
        }

        var offered = context.WebSockets.WebSocketRequestedProtocols;
        var protocol = new[] { "v5.channel.k8s.io", "v4.channel.k8s.io" }.FirstOrDefault(offered.Contains)
            ?? throw ApiError.BadRequest($"none of the offered subprotocols ({string.Join(", ", offered)}) is served: v5.channel.k8s.io, v4.channel.k8s.io");
        using var socket = await context.WebSockets.AcceptWebSocketAsync(protocol).ConfigureAwait(false);
        await RunAsync(socket, ns, name, container, command).ConfigureAwait(false);
    }

    private async Task RunAsync(WebSocket socket, string ns, string pod, JsonObject container, List<string> command)
    {
        var root = Directory.CreateDirectory(Path.Combine(scratch, ns, pod)).FullName;
        var start = new ProcessStartInfo(command[0]) { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        command.Skip(1).ToList().ForEach(start.ArgumentList.Add);
        foreach (var env in container["env"] as JsonArray ?? [])
        {
            start.Environment[(string)env!["name"]!] = (string?)env["value"] ?? "";
        }

        using var send = new SemaphoreSlim(1, 1);
        async Task SendAsync(byte channel, byte[] data)
        {
            await send.WaitAsync().ConfigureAwait(false);
            try
            {
                await socket.SendAsync((byte[])[channel, .. data], WebSocketMessageType.Binary, true, CancellationToken.None).ConfigureAwait(false);
            }
            finally
            {
                send.Release();
            }
        }

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            await SendAsync(3, Encoding.UTF8.GetBytes(new JsonObject { ["metadata"] = new JsonObject(), ["status"] = "Failure", ["message"] = $"exec: \"{command[0]}\": {e.Message}", ["reason"] = "InternalError", ["code"] = 500 }.ToJsonString())).ConfigureAwait(false);
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None).ConfigureAwait(false);
            return;
        }

        using (process)
        {
            // The client going away (a hook's timeout) ends the command.
            using var gone = new CancellationTokenSource();
            var watchClient = Task.Run(async () =>
            {
                try
                {
                    while ((await socket.ReceiveAsync(new byte[256], gone.Token).ConfigureAwait(false)).MessageType != WebSocketMessageType.Close)
                    {
                    }
                }
                catch (Exception e) when (e is WebSocketException or OperationCanceledException)
                {
                }

                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }
            });

            async Task PumpAsync(Stream from, byte channel)
            {
                var buffer = new byte[8192];
                int read;
                while ((read = await from.ReadAsync(buffer).ConfigureAwait(false)) > 0)
                {
                    await SendAsync(channel, buffer[..read]).ConfigureAwait(false);
                }
            }

            try
            {
                await Task.WhenAll(PumpAsync(process.StandardOutput.BaseStream, 1), PumpAsync(process.StandardError.BaseStream, 2)).ConfigureAwait(false);
                await process.WaitForExitAsync().ConfigureAwait(false);
                var status = process.ExitCode == 0
                    ? new JsonObject { ["metadata"] = new JsonObject(), ["status"] = "Success" }
                    : new JsonObject
                    {
                        ["metadata"] = new JsonObject(),
                        ["status"] = "Failure",
                        ["message"] = $"command terminated with non-zero exit code: exit status {process.ExitCode}",
                        ["reason"] = "NonZeroExitCode",
                        ["details"] = new JsonObject { ["causes"] = new JsonArray(new JsonObject { ["reason"] = "ExitCode", ["message"] = process.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture) }) },
                    };
                await SendAsync(3, Encoding.UTF8.GetBytes(status.ToJsonString())).ConfigureAwait(false);
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None).ConfigureAwait(false);
            }
            catch (WebSocketException)
            {
                // The client went away mid-command: the watcher has killed it.
            }
            finally
            {
                await process.WaitForExitAsync().ConfigureAwait(false);

                // Cancelling a receive aborts the socket: the client gets a moment to answer the close first.
                gone.CancelAfter(TimeSpan.FromSeconds(5));
                await watchClient.ConfigureAwait(false);
            }
        }
    }
}
