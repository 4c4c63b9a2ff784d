namespace Nanokit.TestSupport;

public static class Repository
{
    /// <summary>The checkout the tests run from: the first folder above the test assembly that holds Nanokit.sln.</summary>
    public static readonly string Root = FindRoot();

    /// <summary>The path of scripts/<paramref name="name"/> in the checkout.</summary>
    public static string Script(string name) => Path.Combine(Root, "scripts", name);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Nanokit.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no Nanokit.sln above {AppContext.BaseDirectory}");
    }
}
