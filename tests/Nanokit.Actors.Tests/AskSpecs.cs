namespace Nanokit.Actors.Tests;

using Nanokit.Actors.TestKit;

public sealed class AskSpecs : TestKit
{
    [Fact]
    public async Task Ask_completes_with_the_reply()
    {
        var actor = Sys.ActorOf(Props.Create<Responder>());
        Assert.Equal(42, await actor.Ask<int>(21, Dilated(TimeSpan.FromSeconds(3))));
    }

    [Fact]
    public async Task Ask_faults_with_AskTimeoutException_when_nobody_replies()
    {
        var actor = Sys.ActorOf(Props.Create<Responder>());
        await Assert.ThrowsAsync<AskTimeoutException>(() => actor.Ask<int>("silence", TimeSpan.FromMilliseconds(100)));
    }

    [Fact]
    public async Task A_Status_Failure_reply_faults_the_Ask_with_its_cause()
    {
        var actor = Sys.ActorOf(Props.Create<Responder>());
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => actor.Ask<int>("fail", Dilated(TimeSpan.FromSeconds(3))));
        Assert.Equal("no", error.Message);
    }

    [Fact]
    public async Task Cancelling_the_token_cancels_the_Ask()
    {
        var actor = Sys.ActorOf(Props.Create<Responder>());
        using var cts = new CancellationTokenSource();
        var ask = actor.Ask<int>("silence", Dilated(TimeSpan.FromSeconds(10)), cts.Token);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ask);
    }

    [Fact]
    public async Task Ask_to_a_dead_actor_times_out_and_the_message_is_a_dead_letter()
    {
        var actor = Sys.ActorOf(Props.Create<Responder>());
        Assert.True(await actor.GracefulStop(Dilated(TimeSpan.FromSeconds(3))));
        var before = Sys.DeadLetterCount;
        await Assert.ThrowsAsync<AskTimeoutException>(() => actor.Ask<int>(1, TimeSpan.FromMilliseconds(50)));
        Assert.True(Sys.DeadLetterCount > before);
    }

    private sealed class Responder : ReceiveActor
    {
        public Responder()
        {
            Receive<int>(i => Sender.Tell(i * 2));
            Receive<string>(s => s == "fail", _ => Sender.Tell(new Status.Failure(new InvalidOperationException("no"))));
            Receive<string>(_ => { });
        }
    }
}
