using Nanokit.Core.Config;
using Xunit;

namespace Nanokit.Core.Tests.Config;

/// <summary>What a build context sends and hashes: Nanokit's own state directory never, wherever it lies.</summary>
public sealed class BuildContextFilesTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("nanokit-build-context-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void The_state_directory_of_a_project_built_from_its_own_directory_is_neither_sent_nor_hashed()
    {
        Write("Dockerfile", "FROM busybox\nCOPY . /app\n");
        Write("main.txt", "v1");
        Write(".nanokit/state.db", "generation 1");
        Write("sub/.nanokit/lock", "");
        var before = BuildContextFiles.Hash(_directory, "Dockerfile");

        Write(".nanokit/state.db", "generation 2");

        Assert.Equal(["Dockerfile", "main.txt"], BuildContextFiles.List(_directory, "Dockerfile"));
        Assert.Equal(before, BuildContextFiles.Hash(_directory, "Dockerfile"));
    }

    private void Write(string relative, string content)
    {
        var path = Path.Combine(_directory, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }
}
