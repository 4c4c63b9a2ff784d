using System.Text.Json.Serialization;
using Nanokit.Core.Model;

namespace Nanokit.Providers.Local;

/// <summary>
/// What the local runtime remembers about a service's running hook, written before the hook's command may start
/// (it is the wrapper's go signal, as for a replica). <see cref="Timeout"/> of zero means none.
/// </summary>
internal sealed record HookRecord(
    string Project,
    string Service,
    HookKind Kind,
    int Pid,
    long StartTicks,
    string BootId,
    string Token,
    DateTimeOffset StartedAt,
    TimeSpan Timeout,
    TimeSpan StopGrace)
{
    [JsonIgnore]
    public ProcessIdentity Process => new(Pid, StartTicks, BootId);
}
