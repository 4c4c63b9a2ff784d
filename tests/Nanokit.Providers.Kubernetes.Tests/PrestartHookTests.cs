using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Nanokit.Core.Model;
using Nanokit.Providers.Kubernetes.Tests.ApiServer;
using Nanokit.Runtime;

namespace Nanokit.Providers.Kubernetes.Tests;

/// <summary>
/// hooks.prestart as a one-off pod of the service's image. The image is one the test kubelet runs for real (its command is
/// a local process), so the output, the exit code and the cost of a timeout are real.
/// </summary>
public sealed class PrestartHookTests : ApiServerTest
{
    [Fact]
    public async Task A_prestart_hook_runs_in_a_labelled_one_off_pod_of_the_image_and_reports_its_log_and_exit_code_and_is_deleted()
    {
        Api.Kubelet.RunnableImages["migrate:1"] = 0;
        using var stop = new CancellationTokenSource();
        var pods = Api.Store.Watch("pods", "shop", _ => true, Api.Store.Revision, stop.Token);
        var migrate = Migrate(["sh", "-c", "echo \"mode=$MODE\"; echo oops >&2; exit 3"], TimeSpan.FromSeconds(30));

        var result = await Provider.RunHookAsync(Shop, migrate, HookKind.Prestart, default);

        Assert.Equal((3, false), (result.ExitCode, result.TimedOut));
        Assert.Contains("mode=prod", result.OutputTail);
        Assert.Contains("oops", result.OutputTail);
        var pod = (await pods.ReadAsync()).Object;
        var container = pod["spec"]!["containers"]![0]!;
        Assert.Equal(("nanokit", "shop", "db", null), Labels(pod, "app.kubernetes.io/managed-by", "nanokit.io/project", "nanokit.io/hook", "nanokit.io/service"));
        Assert.StartsWith("db-prestart-", (string)pod["metadata"]!["name"]!);
        Assert.Equal(("Never", "migrate:1", "/app", "MODE=prod"), ((string)pod["spec"]!["restartPolicy"]!, (string)container["image"]!, (string)container["workingDir"]!,
            $"{container["env"]![0]!["name"]}={container["env"]![0]!["value"]}"));
        Assert.Equal(["sh", "-c"], container["command"]!.AsArray().Take(2).Select(c => (string)c!));
        Assert.Null(container["args"]);
        Assert.Empty(Api.Store.List("pods", "shop", _ => true).Items);
        Assert.Empty((await Provider.ObserveAsync(Shop, default)).Replicas);
        Assert.True((await Provider.RunHookAsync(Shop, Migrate(["true"], TimeSpan.FromSeconds(30)), HookKind.Prestart, default)).Succeeded);
    }

    [Fact]
    public async Task A_prestart_hook_past_its_timeout_is_reported_timed_out_and_its_pod_deleted()
    {
        Api.Kubelet.RunnableImages["migrate:1"] = 0;

        var result = await Provider.RunHookAsync(Shop, Migrate(["sh", "-c", "echo begun; sleep 30"], TimeSpan.FromSeconds(1)), HookKind.Prestart, default);

        Assert.True(result.TimedOut);
        Assert.False(result.Succeeded);
        Assert.Contains("begun", result.OutputTail);
        Assert.Empty(Api.Store.List("pods", "shop", _ => true).Items);
    }

    [Fact]
    public async Task A_prestart_hook_whose_image_does_not_pull_fails_naming_the_pod_and_the_reason()
    {
        Api.Kubelet.MissingImages["migrate:1"] = 0;

        var failure = await Assert.ThrowsAsync<RuntimeException>(() => Provider.RunHookAsync(Shop, Migrate(["true"], TimeSpan.FromSeconds(30)), HookKind.Prestart, default));

        Assert.Contains("prestart hook pod db-prestart-", failure.Message);
        Assert.Contains("ErrImagePull", failure.Message);
        Assert.Empty(Api.Store.List("pods", "shop", _ => true).Items);
    }

    [Fact]
    public async Task A_hook_pod_left_running_by_a_killed_run_is_waited_for_before_the_hook_runs_anew()
    {
        Api.Kubelet.RunnableImages["migrate:1"] = 0;
        var done = Path.Combine(Scratch, "leftover-done");
        await LeftoverAsync("db-prestart-0dead000", ["sh", "-c", $"sleep 1; touch {done}"]);

        var result = await Provider.RunHookAsync(Shop, Migrate(["sh", "-c", $"test -f {done} && echo after-the-leftover"], TimeSpan.FromSeconds(30)), HookKind.Prestart, default);

        Assert.True(result.Succeeded, result.OutputTail);
        Assert.Contains("after-the-leftover", result.OutputTail);
        Assert.Empty(Api.Store.List("pods", "shop", _ => true).Items);
    }

    [Fact]
    public async Task A_leftover_hook_pod_past_its_timeout_is_deleted_and_the_hook_runs_anew()
    {
        Api.Kubelet.RunnableImages["migrate:1"] = 0;
        await LeftoverAsync("db-prestart-0dead000", ["sleep", "30"]);
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var result = await Provider.RunHookAsync(Shop, Migrate(["true"], TimeSpan.FromSeconds(2)), HookKind.Prestart, default);

        Assert.True(result.Succeeded);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(20));
        Assert.Null(Api.Store.Get("pods", "shop", "db-prestart-0dead000"));
    }

    // A hook pod as a killed nkapp left it: running, labelled for the service.
    private async Task LeftoverAsync(string name, string[] command)
    {
        Api.Store.Create("namespaces", null, ObjectRules.Admit("namespaces", null, new JsonObject { ["metadata"] = new JsonObject { ["name"] = "shop" } }));
        var pod = JsonNode.Parse($$$"""
            {"metadata": {"name": "{{{name}}}", "labels": {"app.kubernetes.io/managed-by": "nanokit", "nanokit.io/project": "shop", "nanokit.io/hook": "db"}},
             "spec": {"restartPolicy": "Never", "containers": [{"name": "db", "image": "migrate:1"}]}}
            """)!.AsObject();
        pod["spec"]!["containers"]![0]!["command"] = new JsonArray([.. command.Select(c => (JsonNode)c)]);
        Api.Store.Create("pods", "shop", ObjectRules.Admit("pods", "shop", pod));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while ((string?)Api.Store.Get("pods", "shop", name)?["status"]?["phase"] != "Running")
        {
            Assert.True(DateTime.UtcNow < deadline, "the leftover pod did not start");
            await Task.Delay(20);
        }
    }

    private static (string?, string?, string?, string?) Labels(JsonObject pod, string a, string b, string c, string d)
    {
        var labels = pod["metadata"]!["labels"]!;
        return ((string?)labels[a], (string?)labels[b], (string?)labels[c], (string?)labels[d]);
    }

    private static ServiceSpec Migrate(ImmutableArray<string> command, TimeSpan timeout) => new()
    {
        Name = "db",
        Image = "migrate:1",
        Command = ["postgres"],
        WorkingDir = "/app",
        Ports = [new PortMapping(null, 5432, 5432, "tcp")],
        StopGracePeriod = TimeSpan.FromSeconds(5),
        Environment = ImmutableSortedDictionary<string, string?>.Empty.Add("MODE", "prod"),
        Hooks = new HooksSpec(new Hook(command, HookLocation.Service, timeout), null, null),
    };
}
