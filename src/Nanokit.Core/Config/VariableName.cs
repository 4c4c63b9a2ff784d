namespace Nanokit.Core.Config;

/// <summary>
/// The one rule for the name of an environment variable a service gets, from <c>environment:</c>, an
/// <c>env_file</c> or the project <c>.env</c>. A name holding <c>=</c> would be cut at the first <c>=</c> by the
/// process that reads it (so <c>PATH=/x:/usr/bin</c> would replace PATH); NUL ends the entry early; blanks,
/// quotes, <c>$</c> and <c>#</c> are what compose-go's dotenv parser refuses. Dots and dashes stay allowed, as
/// Compose allows them (<c>spring.profiles.active</c>).
/// </summary>
internal static class VariableName
{
    /// <summary>What is wrong with <paramref name="name"/>, without quoting it, or null when it is valid.</summary>
    public static string? Problem(string name)
    {
        if (name.Length == 0)
        {
            return "a variable name cannot be empty";
        }

        foreach (var c in name)
        {
            var problem = c switch
            {
                '=' => "a variable name cannot contain '='",
                '\0' => "a variable name cannot contain a NUL character",
                '"' or '\'' => "a variable name cannot contain a quote",
                '$' => "a variable name cannot contain '$'",
                '#' => "a variable name cannot contain '#'",
                _ when char.IsWhiteSpace(c) => "a variable name cannot contain whitespace",
                _ when char.IsControl(c) => "a variable name cannot contain a control character",
                _ => null,
            };
            if (problem is not null)
            {
                return problem;
            }
        }

        return null;
    }
}
