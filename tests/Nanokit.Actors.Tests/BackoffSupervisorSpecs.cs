namespace Nanokit.Actors.Tests;

using System.Diagnostics;
using Nanokit.Actors.Supervision;
using Nanokit.Actors.TestKit;

public sealed class BackoffSupervisorSpecs : TestKit
{
    private static readonly TimeSpan Min = TimeSpan.FromMilliseconds(100);

    [Fact]
    public void OnStop_restart_delays_grow_exponentially_and_the_count_resets_after_a_stable_run()
    {
        var options = BackoffOptions.OnStop(Props.Create(() => new Child(TestActor)), "child", Min, TimeSpan.FromSeconds(5), 0)
            .WithAutoReset(TestKitSettings.Dilated(TimeSpan.FromMilliseconds(1500)));
        var supervisor = Sys.ActorOf(BackoffSupervisor.Props(options));
        ExpectMsg("started");
        var gaps = new List<TimeSpan>();
        for (var i = 0; i < 3; i++)
        {
            var watch = Stopwatch.StartNew();
            supervisor.Tell("stop");
            ExpectMsg("started");
            gaps.Add(watch.Elapsed);
        }

        // 100, 200, 400 ms: a timer never fires early (a little slack for clock granularity).
        Assert.True(gaps[0] >= Min * 0.9, $"first delay {gaps[0]}");
        Assert.True(gaps[1] >= Min * 2 * 0.9, $"second delay {gaps[1]}");
        Assert.True(gaps[2] >= Min * 4 * 0.9, $"third delay {gaps[2]}");

        supervisor.Tell(BackoffSupervisor.GetRestartCount.Instance);
        Assert.Equal(3, ExpectMsg<BackoffSupervisor.RestartCount>().Count);
        AwaitAssert(() =>
        {
            supervisor.Tell(BackoffSupervisor.GetRestartCount.Instance);
            Assert.Equal(0, ExpectMsg<BackoffSupervisor.RestartCount>().Count);
        }, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void OnFailure_recreates_a_failing_child_after_a_delay_and_forwards_messages_to_it()
    {
        var options = BackoffOptions.OnFailure(Props.Create(() => new Child(TestActor)), "child", Min, TimeSpan.FromSeconds(1), 0.2);
        var supervisor = Sys.ActorOf(BackoffSupervisor.Props(options));
        ExpectMsg("started");
        supervisor.Tell("fail");
        ExpectMsg("started");
        supervisor.Tell("ping");
        ExpectMsg("pong");
        supervisor.Tell(BackoffSupervisor.GetCurrentChild.Instance);
        Assert.NotNull(ExpectMsg<BackoffSupervisor.CurrentChild>().Ref);
    }

    [Fact]
    public void OnFailure_stops_the_supervisor_when_the_child_stops_on_its_own()
    {
        var options = BackoffOptions.OnFailure(Props.Create(() => new Child(TestActor)), "child", Min, TimeSpan.FromSeconds(1), 0);
        var supervisor = Sys.ActorOf(BackoffSupervisor.Props(options));
        ExpectMsg("started");
        Watch(supervisor);
        supervisor.Tell("stop");
        ExpectTerminated(supervisor);
    }

    [Fact]
    public void The_supervisor_gives_up_after_the_maximum_number_of_retries()
    {
        var options = BackoffOptions.OnStop(Props.Create(() => new Child(TestActor)), "child", TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(50), 0)
            .WithMaxNrOfRetries(2)
            .WithAutoReset(TimeSpan.FromMinutes(1));
        var supervisor = Sys.ActorOf(BackoffSupervisor.Props(options));
        Watch(supervisor);
        for (var i = 0; i < 3; i++)
        {
            ExpectMsg("started");
            supervisor.Tell("stop");
        }

        ExpectTerminated(supervisor);
    }

    private sealed class Child : ReceiveActor
    {
        public Child(IActorRef monitor)
        {
            monitor.Tell("started");
            Receive<string>(s => s == "stop", _ => Context.Stop(Self));
            Receive<string>(s => s == "fail", _ => throw new InvalidOperationException("crash"));
            Receive<string>(s => s == "ping", _ => Sender.Tell("pong"));
        }
    }
}
