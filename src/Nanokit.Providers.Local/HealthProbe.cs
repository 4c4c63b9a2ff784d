using System.Collections.Immutable;
using System.Net.Sockets;
using Nanokit.Core.Model;
using Nanokit.Runtime;

namespace Nanokit.Providers.Local;

/// <summary>
/// Turns <c>healthcheck.test</c> into one probe. Forms: <c>[CMD, prog, args...]</c> (exec),
/// <c>[CMD-SHELL, script]</c> (sh -c), <c>[NONE]</c>, and Nanokit's <c>http://host:port/path</c> (2xx or 3xx is
/// healthy; redirects are not followed) and <c>tcp://host:port</c> (a connection is healthy), written either alone
/// or as the CMD-SHELL string a plain <c>test: http://...</c> becomes. Every probe is bounded by <c>timeout</c>.
/// </summary>
internal static class HealthProbe
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    /// <summary>True when the check defines no probe at all.</summary>
    public static bool IsNone(HealthcheckSpec? check) =>
        check is null || check.Disabled || check.Test.IsDefaultOrEmpty || check.Test[0] == "NONE";

    public static async Task<bool> RunAsync(
        HealthcheckSpec check, string workingDirectory, IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken)
    {
        var timeout = check.Timeout > TimeSpan.Zero ? check.Timeout : TimeSpan.FromSeconds(30);
        if (UrlForm(check.Test) is { } url)
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(timeout);
            try
            {
                return url.Scheme == "tcp"
                    ? await ConnectAsync(url, deadline.Token).ConfigureAwait(false)
                    : await GetAsync(url, deadline.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpRequestException or SocketException or IOException
                                          || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                return false;
            }
        }

        var commandLine = check.Test[0] switch
        {
            "CMD" => check.Test.RemoveAt(0),
            "CMD-SHELL" => ImmutableArray.Create(ProcessEnvironment.HostTool("sh"), "-c", string.Join(' ', check.Test.Skip(1))),
            _ => check.Test,
        };
        if (commandLine.IsEmpty)
        {
            return false;
        }

        try
        {
            var outcome = await HostCommand.RunAsync(commandLine, workingDirectory, environment, timeout, 0, cancellationToken)
                .ConfigureAwait(false);
            return outcome is { TimedOut: false, ExitCode: 0 };
        }
        catch (InvalidOperationException)
        {
            // The probe program does not exist: a failed probe, as in Docker, not an error of the runtime.
            return false;
        }
    }

    internal static Uri? UrlForm(ImmutableArray<string> test)
    {
        var candidate = test switch
        {
            [var only] => only,
            ["CMD-SHELL", var script] => script.Trim(),
            ["CMD", var only] => only,
            _ => null,
        };
        return candidate is not null
               && Uri.TryCreate(candidate, UriKind.Absolute, out var url)
               && url.Scheme is "http" or "https" or "tcp"
            ? url
            : null;
    }

    private static async Task<bool> GetAsync(Uri url, CancellationToken cancellationToken)
    {
        using var response = await Http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        var code = (int)response.StatusCode;
        return code is >= 200 and < 400;
    }

    private static async Task<bool> ConnectAsync(Uri url, CancellationToken cancellationToken)
    {
        if (url.Port <= 0)
        {
            return false;
        }

        using var client = new TcpClient();
        await client.ConnectAsync(url.Host, url.Port, cancellationToken).ConfigureAwait(false);
        return true;
    }
}
