using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using Nanokit.Core.Config;
using Nanokit.Core.Diagnostics;
using Nanokit.Core.Model;

namespace Nanokit.Cli;

/// <summary>
/// Reads the observed-state file <c>nkapp plan --observed</c> takes:
/// <c>{"replicas": [{"service": "api", "replica": 1, "configHash": "…", "state": "running", "exitCode": null, "id": "…", "generation": 3}]}</c>.
/// Errors are located (<c>file:line:col</c>); <see cref="Utf8JsonReader"/> is used directly because
/// <see cref="JsonDocument"/> keeps no positions.
/// </summary>
internal static class ObservedStateFile
{
    /// <summary>Far above what 100 000 replicas take (about 15 MB), and a bound on what <c>--observed /dev/zero</c> could cost.</summary>
    internal const long MaxBytes = 64 * 1024 * 1024;

    public static ObservedState Read(string path)
    {
        var (text, problem) = BoundedFile.Read(path, MaxBytes);
        if (text is null)
        {
            throw new ConfigException([new ConfigError(new SourceLocation(path, 0, 0), $"cannot read observed state: {problem ?? "file not found"}")]);
        }

        return Parse(path, Encoding.UTF8.GetBytes(text));
    }

    public static ObservedState Parse(string path, byte[] bytes)
    {
        var cursor = new Cursor(path, bytes);
        try
        {
            return cursor.ReadDocument();
        }
        catch (JsonException e)
        {
            var line = (int)(e.LineNumber ?? 0) + 1;
            var column = (int)(e.BytePositionInLine ?? 0) + 1;
            throw new ConfigException([new ConfigError(new SourceLocation(path, line, column), "invalid JSON: " + FirstSentence(e.Message))]);
        }
    }

    /// <summary>System.Text.Json appends its own position and path; the location prefix already says where.</summary>
    private static string FirstSentence(string message)
    {
        foreach (var tail in (ReadOnlySpan<string>)[" Path:", " LineNumber:"])
        {
            if (message.IndexOf(tail, StringComparison.Ordinal) is var cut and > 0)
            {
                message = message[..cut];
            }
        }

        return message;
    }

    private ref struct Cursor
    {
        private readonly string path;
        private readonly byte[] bytes;
        private Utf8JsonReader reader;
        private readonly List<ConfigError> errors = [];
        private int scanned;
        private int line = 1;
        private int lineStart;

        public Cursor(string path, byte[] bytes)
        {
            this.path = path;
            this.bytes = bytes;
            reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }

        public ObservedState ReadDocument()
        {
            var replicas = ImmutableArray.CreateBuilder<ObservedReplica>();
            Next();
            Expect(JsonTokenType.StartObject, "the document must be an object with a \"replicas\" array");
            while (Next() == JsonTokenType.PropertyName)
            {
                var key = reader.GetString();
                var at = Here();
                Next();
                if (key == "replicas")
                {
                    Expect(JsonTokenType.StartArray, "\"replicas\" must be an array");
                    while (Next() == JsonTokenType.StartObject)
                    {
                        if (ReadReplica() is { } replica)
                        {
                            replicas.Add(replica);
                        }
                    }
                }
                else
                {
                    errors.Add(new ConfigError(at, $"unknown key \"{key}\" (expected \"replicas\")"));
                    reader.Skip();
                }
            }

            return errors.Count == 0 ? new ObservedState(replicas.ToImmutable()) : throw new ConfigException(errors);
        }

        private ObservedReplica? ReadReplica()
        {
            var start = Here();
            string? service = null, hash = null, id = null;
            int? replica = null, exitCode = null;
            long generation = 0;
            var state = ReplicaState.Running;
            var before = errors.Count;
            while (Next() == JsonTokenType.PropertyName)
            {
                var key = reader.GetString();
                var at = Here();
                Next();
                switch (key)
                {
                    case "service": service = String(at, key); break;
                    case "replica": replica = Int(at, key); break;
                    case "configHash": hash = String(at, key); break;
                    case "id": id = reader.TokenType == JsonTokenType.Null ? null : String(at, key); break;
                    case "exitCode": exitCode = reader.TokenType == JsonTokenType.Null ? null : Int(at, key); break;
                    case "generation": generation = Int(at, key) ?? 0; break;
                    case "state": state = State(at); break;
                    default:
                        errors.Add(new ConfigError(at, $"unknown key \"{key}\" in a replica (expected service, replica, configHash, state, exitCode, id, generation)"));
                        reader.Skip();
                        break;
                }
            }

            if (service is null || replica is null || hash is null)
            {
                errors.Add(new ConfigError(start, "a replica needs \"service\", \"replica\" and \"configHash\""));
            }
            else if (replica < 1)
            {
                errors.Add(new ConfigError(start, $"replica numbers start at 1, got {replica}"));
            }

            return errors.Count == before ? new ObservedReplica(service!, replica!.Value, hash!, state, exitCode, id, generation) : null;
        }

        private string? String(SourceLocation at, string? key)
        {
            if (reader.TokenType == JsonTokenType.String)
            {
                return reader.GetString();
            }

            errors.Add(new ConfigError(at, $"\"{key}\" must be a string"));
            reader.Skip();
            return null;
        }

        private int? Int(SourceLocation at, string? key)
        {
            if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var value))
            {
                return value;
            }

            errors.Add(new ConfigError(at, $"\"{key}\" must be an integer"));
            reader.Skip();
            return null;
        }

        private ReplicaState State(SourceLocation at)
        {
            var text = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            if (text is not null && Enum.TryParse<ReplicaState>(text, ignoreCase: true, out var state) && !char.IsDigit(text[0]))
            {
                return state;
            }

            errors.Add(new ConfigError(at, "\"state\" must be one of running, exited, unhealthy, missing"));
            reader.Skip();
            return ReplicaState.Running;
        }

        private JsonTokenType Next()
        {
            if (!reader.Read())
            {
                throw new ConfigException([new ConfigError(Here(), "unexpected end of the observed-state file")]);
            }

            return reader.TokenType;
        }

        private void Expect(JsonTokenType type, string message)
        {
            if (reader.TokenType != type)
            {
                throw new ConfigException([.. errors, new ConfigError(Here(), message)]);
            }
        }

        /// <summary>
        /// The 1-based line and column of the current token. Token offsets only grow, so lines are
        /// counted incrementally from the last call: linear in the file, however many keys it has.
        /// </summary>
        private SourceLocation Here()
        {
            var offset = (int)Math.Min(reader.TokenStartIndex, bytes.Length);
            for (; scanned < offset; scanned++)
            {
                if (bytes[scanned] == '\n')
                {
                    line++;
                    lineStart = scanned + 1;
                }
            }

            return new SourceLocation(path, line, Encoding.UTF8.GetCharCount(bytes, lineStart, offset - lineStart) + 1);
        }
    }
}
