namespace Nanokit.Runtime.Tests;

/// <summary>A checkout can plant links in <c>.nanokit</c>; nkapp must never follow them out of the project.</summary>
public sealed class StateDirectoryTests : IDisposable
{
    private readonly string scratch = Directory.CreateTempSubdirectory("nk-statedir-").FullName;

    public void Dispose() => Directory.Delete(scratch, recursive: true);

    private string Project => Path.Combine(scratch, "project");

    private string State => StateDirectory.Of(Project);

    private string Outside(string name) => Path.Combine(scratch, name);

    [Fact]
    public void Ensure_creates_the_directory_readable_by_its_owner_only()
    {
        Directory.CreateDirectory(Project);

        StateDirectory.Ensure(State);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(State));
    }

    [Fact]
    public void Ensure_refuses_a_state_directory_that_is_a_link_and_leaves_its_target_alone()
    {
        var target = Directory.CreateDirectory(Outside("elsewhere")).FullName;
        File.SetUnixFileMode(target, (UnixFileMode)0b111_101_101);
        Directory.CreateDirectory(Project);
        File.CreateSymbolicLink(State, target);

        var error = Assert.Throws<UnsafeStateDirectoryException>(() => StateDirectory.Ensure(State));

        Assert.Contains(State, error.Message);
        Assert.Contains("symbolic link", error.Message);
        Assert.Equal((UnixFileMode)0b111_101_101, File.GetUnixFileMode(target));
    }

    [Fact]
    public void Ensure_refuses_a_link_planted_anywhere_below_the_state_directory()
    {
        var secret = Outside("credentials");
        File.WriteAllText(secret, "token");
        Directory.CreateDirectory(Path.Combine(State, "logs", "shop"));
        var planted = Path.Combine(State, "logs", "shop", "web-1.log");
        File.CreateSymbolicLink(planted, secret);

        var error = Assert.Throws<UnsafeStateDirectoryException>(() => StateDirectory.Ensure(State));

        Assert.Contains(planted, error.Message);
        Assert.Equal("token", File.ReadAllText(secret));
    }

    [Fact]
    public void A_file_where_the_state_directory_belongs_is_refused()
    {
        Directory.CreateDirectory(Project);
        File.WriteAllText(State, "not a directory");

        var error = Assert.Throws<UnsafeStateDirectoryException>(() => StateDirectory.Verify(State));

        Assert.Contains("is a file", error.Message);
    }
}
