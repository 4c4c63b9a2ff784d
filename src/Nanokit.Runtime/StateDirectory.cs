namespace Nanokit.Runtime;

/// <summary>
/// The project's <c>.nanokit/</c> directory: journal, lock, replica records and logs. It sits inside a checkout, and
/// a checkout can hold anything its author committed, including a <c>.nanokit</c> that is a symbolic link or that
/// holds links to files elsewhere. Following one would let a repository make nkapp chmod, append to or overwrite
/// files outside the project. So the directory is created owner-only (it holds resolved specs), and before any
/// command writes to it, it is checked to be a real directory in which no entry, at any depth, is a link.
/// Files nkapp creates afterwards are its own; a check at every open is not needed.
/// </summary>
public static class StateDirectory
{
    public const string Name = ".nanokit";

    private const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Read and write for the owner only: the mode of every file nkapp creates under the directory.</summary>
    public const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static string Of(string projectDirectory) => Path.Combine(projectDirectory, Name);

    /// <summary>
    /// Creates <paramref name="stateDirectory"/> owner-only, or checks the existing one and makes it owner-only.
    /// Throws <see cref="UnsafeStateDirectoryException"/> when it, or anything below it, is a symbolic link.
    /// </summary>
    public static void Ensure(string stateDirectory)
    {
        Verify(stateDirectory);
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(stateDirectory);
            return;
        }

        Directory.CreateDirectory(stateDirectory, OwnerOnlyDirectory);
        // Verify showed this is the directory itself, not a link, so chmod changes nothing outside.
        File.SetUnixFileMode(stateDirectory, OwnerOnlyDirectory);
    }

    /// <summary>
    /// Throws <see cref="UnsafeStateDirectoryException"/> when <paramref name="stateDirectory"/> is a link or not a
    /// directory, or holds a link at any depth. A directory that does not exist yet is fine.
    /// </summary>
    public static void Verify(string stateDirectory)
    {
        var root = new DirectoryInfo(stateDirectory);
        if (root.LinkTarget is not null)
        {
            throw Unsafe(root);
        }

        if (!root.Exists)
        {
            if (File.Exists(stateDirectory))
            {
                throw new UnsafeStateDirectoryException($"{root.FullName} is a file, not nkapp's state directory; move it away");
            }

            return;
        }

        // Recursive enumeration does not descend through a link (it reports the link itself), so this walk
        // never leaves the directory.
        var everything = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false };
        foreach (var entry in root.EnumerateFileSystemInfos("*", everything))
        {
            if (entry.LinkTarget is not null)
            {
                throw Unsafe(entry);
            }
        }
    }

    private static UnsafeStateDirectoryException Unsafe(FileSystemInfo link) =>
        new($"{link.FullName} is a symbolic link; nkapp keeps its state only in real files of the project's own {Name} directory and will not follow it (remove the link)");
}

/// <summary>The state directory cannot be used safely; the message names the path and what to do.</summary>
public sealed class UnsafeStateDirectoryException(string message) : Exception(message);
