namespace Nanokit.Cli.Tests;

/// <summary>Runs <c>nkapp</c> in-process against a scratch directory and captures what it prints.</summary>
internal sealed class CliRun : IDisposable
{
    public CliRun()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("nkapp-cli-").FullName;
    }

    public string Directory { get; }

    public string Write(string name, string text)
    {
        var path = Path.Combine(Directory, name);
        File.WriteAllText(path, text);
        return path;
    }

    public Task<(int Exit, string Out, string Error)> RunAsync(params string[] args) => RunAsync(new Dictionary<string, string>(), args);

    public async Task<(int Exit, string Out, string Error)> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await Nkapp.RunAsync(args, new CliContext(stdout, stderr, Directory, environment));
        return (exit, stdout.ToString(), stderr.ToString());
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
