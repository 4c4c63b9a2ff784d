using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text;

namespace Nanokit.Server.Api;

/// <summary>What a token may do; each role includes the ones before it.</summary>
public enum Role
{
    Read = 1,
    Write = 2,
    Admin = 3,
}

/// <summary>
/// The bearer tokens a node accepts, read once at start from <c>--token-file</c>: one <c>sha256:HEX ROLE</c> per line
/// (blank lines and <c># comments</c> ignored). Only hashes are stored, so the file is not a secret by itself; a
/// presented token is hashed and looked up (a hash lookup: no timing leak of a secret prefix).
/// </summary>
public sealed class TokenFile
{
    private readonly FrozenDictionary<string, Role> roles;

    private TokenFile(FrozenDictionary<string, Role> roles)
    {
        this.roles = roles;
    }

    public static TokenFile Load(string path)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ServerConfigException($"--token-file {path}: {e.Message}");
        }

        var roles = new Dictionary<string, Role>(StringComparer.Ordinal);
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2 || !parts[0].StartsWith("sha256:", StringComparison.Ordinal) || parts[0].Length != 7 + 64
                || !Enum.TryParse<Role>(parts[1], ignoreCase: true, out var role) || !Enum.IsDefined(role))
            {
                throw new ServerConfigException($"--token-file {path}:{i + 1}: expected `sha256:<64 hex digits> read|write|admin`");
            }

            roles[parts[0][7..].ToLowerInvariant()] = role;
        }

        return new TokenFile(roles.ToFrozenDictionary(StringComparer.Ordinal));
    }

    /// <summary>The line that grants <paramref name="role"/> to <paramref name="token"/> (how an operator adds a token).</summary>
    public static string LineFor(string token, Role role) => $"sha256:{Hash(token)} {role.ToString().ToLowerInvariant()}";

    public Role? RoleOf(string token) => roles.TryGetValue(Hash(token), out var role) ? role : null;

    private static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}
