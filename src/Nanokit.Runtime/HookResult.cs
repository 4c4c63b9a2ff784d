namespace Nanokit.Runtime;

/// <summary>
/// How a hook ended. <see cref="OutputTail"/> is the end of its combined stdout and stderr, enough to say
/// why it failed without keeping unbounded output; callers must not log it when the hook may print secrets.
/// </summary>
public sealed record HookResult(int ExitCode, string OutputTail, bool TimedOut, TimeSpan Duration)
{
    public bool Succeeded => ExitCode == 0 && !TimedOut;
}
