using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Nanokit.Providers.Kubernetes;

// pods/exec: a WebSocket upgrade of GET .../pods/NAME/exec?command=...&stdout=true&stderr=true, speaking the channel
// protocol of the API server's remotecommand (v5.channel.k8s.io, or v4 from older servers): every binary message starts
// with its channel byte, 1 stdout, 2 stderr, 3 the outcome as a Status (Success, or Failure with reason NonZeroExitCode and
// the code in details.causes[reason=ExitCode].message). v5 differs from v4 only in stdin closing, which Nanokit never sends.
internal sealed partial class KubeApi
{
    private const string ExecV5 = "v5.channel.k8s.io";
    private const string ExecV4 = "v4.channel.k8s.io";

    /// <summary>Runs <paramref name="command"/> in the pod's container; its exit code and output (stdout and stderr as they came).</summary>
    public async Task<(int ExitCode, string Output)> ExecAsync(string podPath, string container, IReadOnlyList<string> command, CancellationToken cancellationToken)
    {
        var query = string.Join('&', command.Select(c => "command=" + Uri.EscapeDataString(c)).Append("container=" + Uri.EscapeDataString(container)).Append("stdout=true").Append("stderr=true"));
        var uri = new UriBuilder(new Uri(Server, podPath + "/exec?" + query)) { Scheme = Server.Scheme == "https" ? "wss" : "ws" }.Uri;
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.AddSubProtocol(ExecV5);
        socket.Options.AddSubProtocol(ExecV4);
        if (http.DefaultRequestHeaders.Authorization is { } authorization)
        {
            socket.Options.SetRequestHeader("Authorization", authorization.ToString());
        }

        try
        {
            await socket.ConnectAsync(uri, http, cancellationToken).ConfigureAwait(false);
        }
        catch (WebSocketException e)
        {
            throw new KubeApiException(socket.HttpStatusCode is var code && code != 0 ? (int)code : 0, "", $"exec in {podPath} failed: {e.Message}", e);
        }

        var output = new StringBuilder();
        int? exit = null;
        var buffer = new byte[16 * 1024];
        using var message = new MemoryStream();
        while (socket.State == WebSocketState.Open)
        {
            var received = await socket.ReceiveAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (received.MessageType == WebSocketMessageType.Close)
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cancellationToken).ConfigureAwait(false);
                break;
            }

            message.Write(buffer, 0, received.Count);
            if (!received.EndOfMessage)
            {
                continue;
            }

            var bytes = message.ToArray();
            message.SetLength(0);
            if (bytes.Length == 0)
            {
                continue;
            }

            switch (bytes[0])
            {
                case 1 or 2:
                    output.Append(Encoding.UTF8.GetString(bytes, 1, bytes.Length - 1));
                    break;
                case 3:
                    exit = ExitCode(JsonSerializer.Deserialize<ExecStatus>(bytes.AsSpan(1), KubeJson.Options), podPath);
                    break;
            }
        }

        return (exit ?? throw new KubeApiException(0, "", $"exec in {podPath} ended without an exit status"), output.ToString());
    }

    private static int ExitCode(ExecStatus? status, string podPath)
    {
        if (status?.Status == "Success")
        {
            return 0;
        }

        if (status?.Reason == "NonZeroExitCode"
            && status.Details?.Causes?.FirstOrDefault(c => c.Reason == "ExitCode")?.Message is { } text && int.TryParse(text, out var code))
        {
            return code;
        }

        throw new KubeApiException(status?.Code ?? 0, status?.Reason ?? "", $"exec in {podPath} failed: {status?.Message}");
    }

    private sealed record ExecStatus(string? Status, string? Message, string? Reason, int? Code, ExecDetails? Details);

    private sealed record ExecDetails(List<ExecCause>? Causes);

    private sealed record ExecCause(string? Reason, string? Message);
}
