using Nanokit.Runtime;

namespace Nanokit.Reconciler.Hosting;

/// <summary>
/// One reconciling process per project directory: an exclusive lock on <c>.nanokit/lock</c> (flock on Linux,
/// released by the kernel when the holder dies, even by SIGKILL). The holder writes who it is to
/// <c>.nanokit/lock.holder</c> — a separate file, since the locked one cannot be opened by others — so that a
/// second <c>nkapp up</c> can say who is in the way.
/// </summary>
public sealed class ProjectLock : IDisposable
{
    private readonly FileStream stream;

    private ProjectLock(FileStream stream)
    {
        this.stream = stream;
    }

    /// <summary>
    /// Takes the lock, or throws <see cref="ProjectLockedException"/> naming the holder, or <see cref="StateStoreException"/>
    /// naming the directory when it cannot be made or written (a read-only checkout, a file in its place).
    /// </summary>
    public static ProjectLock Acquire(string stateDirectory, string command)
    {
        var path = Path.Combine(stateDirectory, "lock");
        FileStream stream;
        try
        {
            // Every command that writes state comes through here first: the directory is checked once for planted
            // links and made owner-only (the journal holds the resolved spec, secret values included).
            StateDirectory.Ensure(stateDirectory);
            stream = new FileStream(path, OwnerOnly(FileMode.OpenOrCreate, FileAccess.ReadWrite));
        }
        catch (IOException) when (Directory.Exists(stateDirectory) && File.Exists(path))
        {
            throw new ProjectLockedException($"the project is locked by {Holder(path)}; wait for it to finish or stop it");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StateStoreException($"cannot use the state directory {stateDirectory}: {e.Message}");
        }

        try
        {
            using var holder = new StreamWriter(new FileStream(HolderPath(path), OwnerOnly(FileMode.Create, FileAccess.Write)));
            holder.Write($"nkapp {command} (pid {Environment.ProcessId} on {Environment.MachineName}, since {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm:ss}Z)\n");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stream.Dispose();
            throw new StateStoreException($"cannot write to the state directory {stateDirectory}: {e.Message}");
        }

        return new ProjectLock(stream);
    }

    private static FileStreamOptions OwnerOnly(FileMode mode, FileAccess access)
    {
        var options = new FileStreamOptions { Mode = mode, Access = access, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = StateDirectory.OwnerOnlyFile;
        }

        return options;
    }

    public void Dispose() => stream.Dispose();

    private static string Holder(string path)
    {
        try
        {
            return File.ReadLines(HolderPath(path)).FirstOrDefault() is { Length: > 0 } line ? line : "another process";
        }
        catch (IOException)
        {
            return "another process";
        }
    }

    private static string HolderPath(string lockPath) => lockPath + ".holder";
}

public sealed class ProjectLockedException(string message) : Exception(message);
