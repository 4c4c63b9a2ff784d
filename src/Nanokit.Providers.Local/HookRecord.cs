using System.Text.Json.Serialization;
using Nanokit.Core.Model;

namespace Nanokit.Providers.Local;

/// <summary>
/// What the local runtime remembers about a service's running hook, written before the hook's command may start
/// (it is the wrapper's go signal, as for a replica). <see cref="Timeout"/> of zero means none. The owner is the
/// process running the hook (nkapp): while it lives, it reads the hook's exit code and clears the record itself.
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
    TimeSpan StopGrace,
    int OwnerPid,
    long OwnerStartTicks)
{
    [JsonIgnore]
    public ProcessIdentity Process => new(Pid, StartTicks, BootId);

    [JsonIgnore]
    public ProcessIdentity Owner => new(OwnerPid, OwnerStartTicks, BootId);
}
