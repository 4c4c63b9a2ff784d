using System.Collections.Immutable;
using System.CommandLine;
using Nanokit.Core.Config;
using Nanokit.Core.Diagnostics;
using Nanokit.Core.Graph;
using Nanokit.Core.Model;

namespace Nanokit.Cli;

/// <summary>The options every project command shares, as <c>docker compose</c> spells them.</summary>
internal sealed class ProjectOptions
{
    private readonly Option<string[]> files;

    private readonly Option<string?> environment = new("--env", "-e")
    {
        Description = "Environment whose overrides are merged onto the base (default: $NANOKIT_ENV)",
    };

    private readonly Option<string[]> profiles = new("--profile")
    {
        Description = "Enable services of this profile; repeatable",
    };

    private readonly Option<string?> projectDirectory = new("--project-directory")
    {
        Description = "Directory that relative paths and .env are resolved from (default: the first file's directory)",
    };

    private readonly Option<string?> projectName = new("--project-name", "-p")
    {
        Description = "Project name (default: name: in the file, else the directory name)",
    };

    private readonly bool rememberedEnvironment;

    /// <param name="fileAlias">Whether <c>-f</c> means <c>--file</c>: everywhere but where Compose gives it another meaning (<c>logs -f</c> follows).</param>
    /// <param name="rememberedEnvironment">
    /// Whether, without <c>--env</c> and <c>$NANOKIT_ENV</c>, the environment the last <c>up</c> applied is used (commands that
    /// look at what is deployed: <c>status</c>, <c>ps</c>, <c>logs</c>, <c>drift</c>...). <c>up</c> and <c>plan</c> take the file as given, as Compose does.
    /// </param>
    public ProjectOptions(bool fileAlias = true, bool rememberedEnvironment = false)
    {
        this.rememberedEnvironment = rememberedEnvironment;
        files = new Option<string[]>("--file", fileAlias ? ["-f"] : [])
        {
            Description = "Configuration file; repeat to merge several in order (default: nanokit.yml, compose.yaml, ...)",
            AllowMultipleArgumentsPerToken = false,
        };
    }

    public void AddTo(Command command)
    {
        command.Add(files);
        command.Add(environment);
        command.Add(profiles);
        command.Add(projectDirectory);
        command.Add(projectName);
    }

    /// <summary>
    /// Loads the project and builds its dependency graph (so cycles are configuration errors too),
    /// or writes every located error to stderr and returns null. Only <c>down</c> passes
    /// <paramref name="allowNoServices"/>: see <see cref="ProjectLoadOptions.AllowNoServices"/>.
    /// </summary>
    public LoadedProject? Load(ParseResult parse, CliContext context, bool allowNoServices = false) =>
        Load(LoadOptions(parse, context) with { AllowNoServices = allowNoServices }, context);

    /// <summary>
    /// As <see cref="Load(ParseResult, CliContext, bool)"/>, for a command that takes <c>[SERVICE...]</c> (<c>logs</c>,
    /// <c>pull</c>, <c>top</c>): also checks that each service given is one of the project's, or writes
    /// <c>no such service: NAME</c> to stderr and returns null. None given means every service, in name order.
    /// </summary>
    public SelectedServices? LoadWithServices(ParseResult parse, CliContext context, Argument<string[]> services)
    {
        if (Load(parse, context) is not { } loaded)
        {
            return null;
        }

        var given = parse.GetValue(services) ?? [];
        if (given.FirstOrDefault(s => !loaded.Spec.Services.ContainsKey(s)) is { } unknown)
        {
            context.Error.WriteLine($"no such service: {unknown}");
            return null;
        }

        return given.Length > 0
            ? new SelectedServices(loaded, [.. given], All: false)
            : new SelectedServices(loaded, [.. loaded.Spec.Services.Keys.Order(StringComparer.Ordinal)], All: true);
    }

    /// <summary>As <see cref="Load(ParseResult, CliContext, bool)"/>, from options resolved earlier (a saved plan's).</summary>
    public static LoadedProject? Load(ProjectLoadOptions options, CliContext context)
    {
        try
        {
            var spec = ProjectLoader.Load(options);
            foreach (var warning in spec.Warnings)
            {
                context.Error.WriteLine(warning.ToString());
            }
            return new LoadedProject(spec, GraphEngine.Build(spec));
        }
        catch (ConfigException e)
        {
            WriteErrors(context, e.Errors);
            return null;
        }
    }

    public static void WriteErrors(CliContext context, IReadOnlyCollection<ConfigError> errors)
    {
        foreach (var error in errors)
        {
            context.Error.WriteLine(error.ToString());
        }

        context.Error.WriteLine(errors.Count == 1 ? "1 error" : $"{errors.Count} errors");
    }

    /// <summary>
    /// The same inputs as <see cref="Load"/>, as an <c>ApplyProject</c> request: the files' contents (the -f files, or
    /// the first default file found) and the project directory's .env; the server loads and validates them.
    /// </summary>
    public Nanokit.Server.Api.V1.ApplyProjectRequest ToApplyRequest(ParseResult parse, CliContext context)
    {
        var options = LoadOptions(parse, context);
        var paths = options.Files.IsEmpty
            ? [.. ProjectLoader.DefaultFileNames.Select(f => Path.Combine(options.WorkingDirectory, f)).Where(File.Exists).Take(1)]
            : options.Files;
        var request = new Nanokit.Server.Api.V1.ApplyProjectRequest
        {
            Environment = options.Environment ?? "",
            ProjectName = options.ProjectName ?? "",
        };
        request.Profiles.AddRange(options.Profiles);
        foreach (var path in paths)
        {
            request.Files.Add(new Nanokit.Server.Api.V1.SourceFile { Name = Path.GetFileName(path), Content = Google.Protobuf.ByteString.CopyFrom(File.ReadAllBytes(path)) });
        }

        var env = Path.Combine(options.WorkingDirectory, ".env");
        if (File.Exists(env))
        {
            request.EnvFile = new Nanokit.Server.Api.V1.SourceFile { Name = ".env", Content = Google.Protobuf.ByteString.CopyFrom(File.ReadAllBytes(env)) };
        }

        return request;
    }

    /// <summary>The first of these options given on the command line, as typed, or null.</summary>
    public string? FirstGiven(ParseResult parse) =>
        new Option[] { files, environment, profiles, projectDirectory, projectName }.FirstOrDefault(o => parse.GetResult(o) is { Implicit: false })?.Name;

    /// <summary>The files, directory, environment, profiles and name the command line (and NANOKIT_ENV) ask for, paths made absolute.</summary>
    public ProjectLoadOptions LoadOptions(ParseResult parse, CliContext context)
    {
        var fileList = (parse.GetValue(files) ?? [])
            .Select(f => Path.GetFullPath(f, context.WorkingDirectory))
            .ToImmutableArray();
        var directory = parse.GetValue(projectDirectory) is { } dir
            ? Path.GetFullPath(dir, context.WorkingDirectory)
            : fileList.Length > 0 ? Path.GetDirectoryName(fileList[0])! : context.WorkingDirectory;
        // `--env ''` asks for the base file alone, whatever NANOKIT_ENV or the last up said.
        var env = parse.GetValue(environment) is { } given
            ? (given.Length == 0 ? null : given)
            : (context.Environment.TryGetValue("NANOKIT_ENV", out var fromEnv) && fromEnv.Length > 0 ? fromEnv : null)
                ?? (rememberedEnvironment ? AppliedIntent.Read(directory, null, context.Error.WriteLine)?.Environment : null);
        return new ProjectLoadOptions(
            fileList,
            directory,
            env,
            (parse.GetValue(profiles) ?? []).ToImmutableArray(),
            context.Environment,
            parse.GetValue(projectName));
    }
}

internal sealed record LoadedProject(ProjectSpec Spec, ExecutionGraph Graph);

/// <summary>The project and the services a command was given (<see cref="All"/>: none was, so every one of the file's).</summary>
internal sealed record SelectedServices(LoadedProject Project, ImmutableArray<string> Services, bool All);
