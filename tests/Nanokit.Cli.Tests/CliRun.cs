using System.Text;

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
        var (exit, stdout, stderr) = await RunBytesAsync(environment, args);
        return (exit, Encoding.UTF8.GetString(stdout), Encoding.UTF8.GetString(stderr));
    }

    /// <summary>
    /// The bytes nkapp wrote to its stdout and stderr, as a terminal or a redirect receives them: its own text (UTF-8,
    /// each write flushed, as Console.Out) and a command's byte output (<c>exec</c>, <c>run</c>) in one stream each.
    /// </summary>
    public async Task<(int Exit, byte[] Out, byte[] Error)> RunBytesAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        using var stdout = new MemoryStream();
        using var stderr = new MemoryStream();
        using var outText = new StreamWriter(stdout, new UTF8Encoding(false), leaveOpen: true) { AutoFlush = true };
        using var errorText = new StreamWriter(stderr, new UTF8Encoding(false), leaveOpen: true) { AutoFlush = true };
        var context = new CliContext(TextWriter.Synchronized(outText), TextWriter.Synchronized(errorText), Directory, environment) { OutStream = stdout, ErrorStream = stderr };
        var exit = await Nkapp.RunAsync(args, context);
        return (exit, stdout.ToArray(), stderr.ToArray());
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
