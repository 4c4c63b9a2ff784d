namespace Nanokit.Cli;

/// <summary>Exit codes follow Terraform's <c>-detailed-exitcode</c>: 0 ok / no changes, 1 error, 2 changes present.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int Error = 1;
    public const int Changes = 2;

    /// <summary>A fault in nkapp itself (sysexits' EX_SOFTWARE): reported in one line; NANOKIT_DEBUG=1 adds the stack trace.</summary>
    public const int Internal = 70;

    /// <summary>Stopped by SIGINT or SIGTERM before the command finished (128 + SIGINT, as shells report it).</summary>
    public const int Interrupted = 130;
}
