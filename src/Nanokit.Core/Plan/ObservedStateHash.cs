using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using Nanokit.Core.Model;

namespace Nanokit.Core.Plan;

/// <summary>
/// The identity of an observed state, as a saved plan records it (Nomad's check-index, per replica): each replica slot's
/// state, exit code, config hash and runtime id. A replica started, stopped, removed or recreated by hand changes it;
/// the generation a replica was made by does not count (its id already changes with it). Lowercase hex SHA-256 of the
/// sorted lines of <see cref="Replicas"/>.
/// </summary>
public static class ObservedStateHash
{
    public static string Compute(ObservedState observed) => Compute(Replicas(observed));

    public static string Compute(IReadOnlyDictionary<string, string> replicas)
    {
        ArgumentNullException.ThrowIfNull(replicas);
        var text = new StringBuilder();
        foreach (var (slot, state) in replicas.OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            text.Append(slot).Append(' ').Append(state).Append('\n');
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>
    /// Each replica as <c>service[n]</c> → <c>running config=… id=…</c>; a second replica claiming a taken slot is
    /// keyed by its id too, so duplicates are told apart.
    /// </summary>
    public static ImmutableSortedDictionary<string, string> Replicas(ObservedState observed)
    {
        ArgumentNullException.ThrowIfNull(observed);
        var replicas = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var replica in observed.Replicas.OrderBy(r => r.Service, StringComparer.Ordinal).ThenBy(r => r.Replica).ThenBy(r => r.Id, StringComparer.Ordinal))
        {
            var slot = $"{replica.Service}[{replica.Replica}]";
            if (replicas.ContainsKey(slot))
            {
                slot += $" {replica.Id}";
            }

            replicas[slot] = $"{State(replica)} config={replica.ConfigHash} id={replica.Id}";
        }

        return replicas.ToImmutable();
    }

    /// <summary>What moved between two <see cref="Replicas"/> maps, one phrase per replica, in slot order.</summary>
    public static ImmutableArray<string> Differences(IReadOnlyDictionary<string, string> before, IReadOnlyDictionary<string, string> now)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(now);
        var changes = ImmutableArray.CreateBuilder<string>();
        foreach (var slot in before.Keys.Union(now.Keys).Order(StringComparer.Ordinal))
        {
            var had = before.TryGetValue(slot, out var old);
            var has = now.TryGetValue(slot, out var current);
            if (!has)
            {
                changes.Add($"{slot} was removed");
            }
            else if (!had)
            {
                changes.Add($"{slot} appeared ({FirstWord(current!)})");
            }
            else if (old != current)
            {
                changes.Add(FirstWord(old!) != FirstWord(current!)
                    ? $"{slot} is now {FirstWord(current!)} (was {FirstWord(old!)})"
                    : $"{slot} was replaced");
            }
        }

        return changes.ToImmutable();
    }

    private static string State(ObservedReplica replica) => replica.State switch
    {
        ReplicaState.Exited when replica.ExitCode is { } code => $"exited({code})",
        var state => state.ToString().ToLowerInvariant(),
    };

    private static string FirstWord(string state) => state.Split(' ')[0];
}
