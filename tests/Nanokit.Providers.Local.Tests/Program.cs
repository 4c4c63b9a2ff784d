using Nanokit.Runtime;

namespace Nanokit.Providers.Local.Tests;

/// <summary>
/// The test assembly is also a tiny nkapp stand-in: `dotnet Nanokit.Providers.Local.Tests.dll start-replica DIR PROJECT SERVICE`
/// creates one replica, prints its id, then waits to be killed, which is how the tests play "nkapp dies after up";
/// `run-hook DIR PROJECT SERVICE SCRIPT TIMEOUT_S` runs <c>sh -c SCRIPT</c> as the service's prestart hook, to be killed mid-hook.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args is ["run-hook", var hookDirectory, var hookProject, var hookService, var script, var timeout])
        {
            var hook = new Nanokit.Core.Model.Hook(["sh", "-c", script], Nanokit.Core.Model.HookLocation.Host, TimeSpan.FromSeconds(int.Parse(timeout, System.Globalization.CultureInfo.InvariantCulture)));
            var hooked = new Nanokit.Core.Model.ServiceSpec { Name = hookService, Command = ["true"], Hooks = new Nanokit.Core.Model.HooksSpec(hook, null, null) };
            var result = await new LocalRuntime().RunHookAsync(
                new ProjectRef(hookProject, hookDirectory), hooked, Nanokit.Core.Model.HookKind.Prestart, CancellationToken.None).ConfigureAwait(false);
            return result.ExitCode;
        }

        if (args is not ["start-replica", var directory, var project, var service])
        {
            return 2;
        }

        var runtime = new LocalRuntime();
        var spec = new Nanokit.Core.Model.ServiceSpec { Name = service, Command = ["sleep", "60"] };
        var created = await runtime.CreateAsync(
            new ReplicaSpec(new ProjectRef(project, directory), spec, 1, "h1", 1), CancellationToken.None).ConfigureAwait(false);
        await Console.Out.WriteLineAsync("started " + created.Id).ConfigureAwait(false);
        await Console.Out.FlushAsync().ConfigureAwait(false);
        await Task.Delay(Timeout.Infinite).ConfigureAwait(false);
        return 0;
    }
}
