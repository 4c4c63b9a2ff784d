using Microsoft.Extensions.Logging;

namespace Nanokit.Server.Hub;

/// <summary>The Hub's log lines.</summary>
internal static partial class HubLog
{
    [LoggerMessage(101, LogLevel.Information, "Hub at {Url}")]
    public static partial void Serving(this ILogger logger, string url);
}
