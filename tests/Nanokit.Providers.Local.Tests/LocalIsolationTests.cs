using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Nanokit.Core.Model;
using Nanokit.Runtime;

namespace Nanokit.Providers.Local.Tests;

/// <summary>What a service or hook must not get from nkapp: its open file descriptors, or an environment entry posing as another.</summary>
public sealed partial class LocalIsolationTests
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(15);

    /// <summary>dup(2) without O_CLOEXEC: a descriptor as nkapp inherits one from a shell (<c>exec 3&gt;&amp;1</c>) or a CI runner.</summary>
    [LibraryImport("libc", EntryPoint = "dup")]
    private static partial int Dup(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    private static string[] Descriptors(int pid, bool quiet = false)
    {
        try
        {
            return Directory.GetFileSystemEntries($"/proc/{pid}/fd").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;
        }
        catch (Exception e) when (quiet && e is UnauthorizedAccessException or DirectoryNotFoundException or IOException)
        {
            // Another user's process, or one that just exited: it holds nothing of ours.
            return [];
        }
    }

    /// <summary>What an fd names (<c>readlink /proc/PID/fd/N</c>: a path, with <c> (deleted)</c> once unlinked); null when it is gone.</summary>
    private static string? OpenFile(int pid, int fd)
    {
        try
        {
            return new FileInfo($"/proc/{pid}/fd/{fd}").LinkTarget;
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            return null;
        }
    }

    [Fact]
    public async Task A_service_and_a_hook_hold_no_descriptor_of_nkapp_beyond_stdin_stdout_and_stderr()
    {
        await using var f = new LocalFixture();
        using var held = File.Create(f.PathOf("held-by-nkapp"));
        var inherited = Dup((int)held.SafeFileHandle.DangerousGetHandle());
        Assert.True(inherited > 2);
        try
        {
            await f.Runtime.CreateAsync(f.Replica(LocalFixture.Service("api", "sleep", "300")), default);
            var wrapper = LocalFixture.PidOf(await f.ObserveOneAsync("api"));
            int? service = null;
            await Poll.UntilAsync(() => (service = Poll.MemberRunning(wrapper, "sleep\0" + "300\0")) is not null, Within, "the service runs");

            Assert.Equal(["0", "1", "2"], Descriptors(service!.Value));
            Assert.Equal("/dev/null", File.ResolveLinkTarget($"/proc/{service}/fd/0", false)!.FullName);

            // stdout and stderr are one FIFO, read by the log pump alone: a member of the replica's own group that
            // writes the log file, and no process outside the group (nkapp here) holds either end.
            var output = OpenFile(service.Value, 1);
            Assert.NotNull(output);
            Assert.Equal(output, OpenFile(service.Value, 2));
            int? pump = null;
            await Poll.UntilAsync(() => (pump = ProcTable.Snapshot().Where(p => p.ProcessGroup == wrapper && p.IsLive).Select(p => (int?)p.Pid)
                .FirstOrDefault(p => File.ReadAllText($"/proc/{p}/cmdline").StartsWith("nanokit-log-pump", StringComparison.Ordinal))) is not null, Within, "the log pump runs");
            Assert.Equal(["0", "1", "2"], Descriptors(pump!.Value));
            Assert.Equal(output, OpenFile(pump.Value, 0));
            Assert.Equal(LocalRuntime.LogPath(f.Id("api")), File.ResolveLinkTarget($"/proc/{pump}/fd/1", false)!.FullName);
            var holders = ProcTable.Snapshot().Where(p => p.IsLive && Descriptors(p.Pid, quiet: true).Any(d => OpenFile(p.Pid, int.Parse(d)) == output))
                .Select(p => p.ProcessGroup).Distinct().ToList();
            Assert.Equal([wrapper], holders);

            var hooked = LocalFixture.Service("api", "true") with
            {
                Hooks = new HooksSpec(new Hook(["sh", "-c", "ls -1 /proc/$$/fd"], HookLocation.Host, TimeSpan.FromSeconds(10)), null, null),
            };
            var result = await f.Runtime.RunHookAsync(f.Project, hooked, HookKind.Prestart, default);
            Assert.Equal(["0", "1", "2"], result.OutputTail.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
        finally
        {
            Close(inherited);
        }
    }

    [Fact]
    public async Task An_environment_key_that_is_not_a_valid_name_never_replaces_another_variable()
    {
        await using var f = new LocalFixture();
        var hostPath = Environment.GetEnvironmentVariable("PATH")!;
        var service = LocalFixture.Service("api", "true") with
        {
            Environment = ImmutableSortedDictionary<string, string?>.Empty.Add("PATH=/nowhere:/usr/bin", "x").Add("A\0B", "y").Add("GOOD", "z"),
            Hooks = new HooksSpec(new Hook(["sh", "-c", "echo \"$PATH\"; env | grep -c nowhere; echo $GOOD"], HookLocation.Host, TimeSpan.FromSeconds(10)), null, null),
        };

        var environment = ProcessEnvironment.For(f.Project, service, 1);
        var result = await f.Runtime.RunHookAsync(f.Project, service, HookKind.Prestart, default);

        Assert.False(environment.ContainsKey("PATH=/nowhere:/usr/bin"));
        Assert.False(environment.ContainsKey("A\0B"));
        Assert.Equal("z", environment["GOOD"]);
        Assert.Equal([hostPath, "0", "z"], result.OutputTail.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
