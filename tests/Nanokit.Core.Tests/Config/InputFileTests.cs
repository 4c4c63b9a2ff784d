using System.Diagnostics;
using Nanokit.Core.Config;
using Nanokit.Core.Diagnostics;
using Xunit;

namespace Nanokit.Core.Tests.Config;

/// <summary>
/// Only regular files are read, never more than their limit: a FIFO must not block, <c>/dev/zero</c> must not be
/// read to exhaustion, and the error names the file and the problem. Each load runs under a deadline, so a
/// regression fails the test instead of hanging the suite.
/// </summary>
public sealed class InputFileTests : IDisposable
{
    private const string Service = "services:\n  web:\n    command: run\n";
    private readonly string dir = Directory.CreateTempSubdirectory("nk-input-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public async Task A_fifo_given_with_f_is_refused_without_blocking()
    {
        var fifo = MakeFifo("nanokit.yml");

        Assert.Equal([$"{fifo}:0:0: not a regular file (a FIFO); only regular files are read"], await ErrorsAsync(fifo));
    }

    [Fact]
    public async Task Dev_zero_given_with_f_is_refused_without_reading_it() =>
        Assert.Equal(["/dev/zero:0:0: not a regular file (a character device); only regular files are read"], await ErrorsAsync("/dev/zero"));

    [Fact]
    public async Task A_directory_given_with_f_is_refused() =>
        Assert.Equal([$"{dir}:0:0: not a regular file (a directory); only regular files are read"], await ErrorsAsync(dir));

    [Fact]
    public async Task A_configuration_file_over_the_size_limit_is_refused_after_reading_at_most_one_byte_past_it()
    {
        var big = Path.Combine(dir, "nanokit.yml");
        using (var stream = File.Create(big))
        {
            stream.SetLength(LoadLimits.Default.FileBytes + 1);
        }

        Assert.Equal([$"{big}:0:0: the file is larger than 4 MiB, the most a file of this kind may hold"], await ErrorsAsync(big));
    }

    [Theory]
    [InlineData("fifo")]
    [InlineData("/dev/zero")]
    [InlineData("directory")]
    [InlineData("large")]
    public async Task An_env_file_that_is_not_a_small_regular_file_is_an_error_at_its_entry(string kind)
    {
        var envFile = kind switch
        {
            "fifo" => MakeFifo("app.env"),
            "directory" => Directory.CreateDirectory(Path.Combine(dir, "app.env")).FullName,
            "large" => Write("app.env", new string('#', (int)LoadLimits.Default.EnvFileBytes + 1)),
            _ => kind,
        };
        var file = Write("nanokit.yml", $"services:\n  web:\n    command: run\n    env_file: {envFile}\n");

        var error = Assert.Single(await ErrorsAsync(file));

        Assert.StartsWith($"{file}:4:15: env_file \"{envFile}\" (resolved to {envFile}): ", error);
        Assert.EndsWith(kind == "large" ? "the file is larger than 1 MiB, the most a file of this kind may hold" : "only regular files are read", error);
    }

    [Fact]
    public void Env_files_are_bounded_together_so_many_names_for_one_large_file_cannot_multiply_it()
    {
        Write("app.env", "A=" + new string('x', 1000) + "\n");
        var links = Enumerable.Range(1, 4).Select(i => Path.GetFileName(Link($"link{i}.env", "app.env"))).ToArray();
        var file = Write("nanokit.yml", "services:\n" + string.Concat(links.Select((l, i) => $"  s{i}:\n    command: run\n    env_file: {l}\n")));
        var options = Options(file) with { Limits = LoadLimits.Default with { EnvFilesBytes = 2500 } };

        var error = Assert.Single(Load.ErrorsOf(() => ProjectLoader.Load(options)));

        Assert.Equal($"{file}:13:15: env_file \"link4.env\" (resolved to {dir}/link4.env): the env_files of the project already hold 2500 bytes, the most a project may read", error);
    }

    [Fact]
    public void An_env_file_with_more_variables_than_a_service_may_have_is_an_error_at_its_entry()
    {
        Write("app.env", string.Concat(Enumerable.Range(0, 1001).Select(i => $"V{i}=x\n")));
        var file = Write("nanokit.yml", "services:\n  web:\n    command: run\n    env_file: app.env\n");

        var error = Assert.Single(Load.ErrorsOf(() => ProjectLoader.Load(Options(file))));

        Assert.Equal($"{file}:4:15: env_file \"app.env\" (resolved to {dir}/app.env): the file sets 1001 variables; a service may have at most 1000", error);
    }

    [Fact]
    public async Task A_dotenv_fifo_is_refused_without_blocking()
    {
        var file = Write("nanokit.yml", Service);
        var dotEnv = MakeFifo(".env");

        Assert.Equal([$"{dotEnv}:0:0: not a regular file (a FIFO); only regular files are read"], await ErrorsAsync(file));
    }

    [Fact]
    public async Task A_symlink_to_a_regular_file_is_read_as_Compose_reads_it()
    {
        var target = Write("real.yml", Service);
        var link = Path.Combine(dir, "nanokit.yml");
        File.CreateSymbolicLink(link, target);

        var project = await Task.Run(() => ProjectLoader.Load(Options(link))).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(["web"], project.Services.Keys);
    }

    private ProjectLoadOptions Options(string file) => new([file], dir, null, [], new Dictionary<string, string>());

    private async Task<string[]> ErrorsAsync(string file)
    {
        var load = Task.Run(() => ProjectLoader.Load(Options(file)));
        var ex = await Assert.ThrowsAsync<ConfigException>(() => load.WaitAsync(TimeSpan.FromSeconds(30)));
        return ex.Errors.Select(e => e.ToString()).ToArray();
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private string Link(string name, string target)
    {
        var path = Path.Combine(dir, name);
        File.CreateSymbolicLink(path, target);
        return path;
    }

    private string MakeFifo(string name)
    {
        var path = Path.Combine(dir, name);
        using var mkfifo = Process.Start("mkfifo", [path]);
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
        return path;
    }
}
