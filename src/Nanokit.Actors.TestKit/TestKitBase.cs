using System.Diagnostics;
using Xunit.Sdk;

namespace Nanokit.Actors.TestKit;

/// <summary>
/// The base of actor specs: owns an <see cref="ActorSystem"/> (terminated on Dispose) and a
/// <see cref="TestActor"/> that is the implicit sender of <c>Tell</c> from the test.
/// </summary>
public abstract class TestKitBase : IDisposable
{
    private static readonly AsyncLocal<DateTime?> s_withinDeadline = new();

    // Never released: waiting on it is a timed pause that does not burn a thread like a spin.
    private readonly SemaphoreSlim _pause = new(0);
    private readonly TestProbe _testProbe;
    private bool _disposed;

    protected TestKitBase(string? systemName = null, ActorSystemSettings? settings = null)
    {
        Sys = ActorSystem.Create(systemName ?? "test", settings);
        _testProbe = new TestProbe(Sys, "testActor");
        ActorCell.SetAmbientSender(_testProbe.Ref);
    }

    public ActorSystem Sys { get; }

    public IActorRef TestActor => _testProbe.Ref;

    public IActorRef? LastSender => _testProbe.LastSender;

    public TestProbe CreateTestProbe(string? name = null) => new(Sys, name);

    public TimeSpan Dilated(TimeSpan duration) => TestKitSettings.Dilated(duration);

    public T ExpectMsg<T>(Predicate<T>? predicate = null, TimeSpan? timeout = null) => _testProbe.ExpectMsg(predicate, timeout);

    public T ExpectMsg<T>(T expected, TimeSpan? timeout = null)
        where T : notnull => _testProbe.ExpectMsg(expected, timeout);

    public void ExpectNoMsg(TimeSpan duration) => _testProbe.ExpectNoMsg(duration);

    public Terminated ExpectTerminated(IActorRef target, TimeSpan? timeout = null) => _testProbe.ExpectTerminated(target, timeout);

    public T FishForMessage<T>(Predicate<T> predicate, TimeSpan? timeout = null) => _testProbe.FishForMessage(predicate, timeout);

    public IReadOnlyList<object> ReceiveN(int count, TimeSpan? timeout = null) => _testProbe.ReceiveN(count, timeout);

    public void Reply(object message) => _testProbe.Reply(message);

    /// <summary>The TestActor receives <see cref="Terminated"/> when <paramref name="target"/> stops.</summary>
    public IActorRef Watch(IActorRef target) => _testProbe.Watch(target);

    /// <summary>Retries <paramref name="assertion"/> every <paramref name="interval"/> until it passes or <paramref name="duration"/> (dilated) is over.</summary>
    public void AwaitAssert(Action assertion, TimeSpan? duration = null, TimeSpan? interval = null)
    {
        var deadline = Deadline(duration);
        var pause = interval ?? TimeSpan.FromMilliseconds(50);
        while (true)
        {
            try
            {
                assertion();
                return;
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
                _pause.Wait(Min(pause, deadline - DateTime.UtcNow));
            }
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds, or fails after <paramref name="duration"/> (dilated).</summary>
    public void AwaitCondition(Func<bool> condition, TimeSpan? duration = null, TimeSpan? interval = null, string? message = null)
    {
        var deadline = Deadline(duration);
        var pause = interval ?? TimeSpan.FromMilliseconds(20);
        while (!condition())
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new XunitException($"Condition not met within {duration ?? TestKitSettings.DefaultTimeout} (dilated ×{TestKitSettings.Dilation}): {message}");
            }

            _pause.Wait(Min(pause, left));
        }
    }

    /// <summary>
    /// Runs <paramref name="action"/> and asserts it took between <paramref name="min"/> and <paramref name="max"/> (dilated);
    /// expectations inside wait at most until max.
    /// </summary>
    public void Within(TimeSpan min, TimeSpan max, Action action)
    {
        var dilatedMax = Dilated(max);
        var outer = s_withinDeadline.Value;
        var stopwatch = Stopwatch.StartNew();
        var deadline = DateTime.UtcNow + dilatedMax;
        s_withinDeadline.Value = outer is { } o && o < deadline ? o : deadline;
        try
        {
            action();
        }
        finally
        {
            s_withinDeadline.Value = outer;
        }

        var elapsed = stopwatch.Elapsed;
        if (elapsed < min)
        {
            throw new XunitException($"Within: block took {elapsed}, less than the minimum {min}.");
        }

        if (elapsed > dilatedMax)
        {
            throw new XunitException($"Within: block took {elapsed}, more than the maximum {dilatedMax}.");
        }
    }

    public void Within(TimeSpan max, Action action) => Within(TimeSpan.Zero, max, action);

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Caps a wait by the deadline of an enclosing <see cref="Within(TimeSpan, TimeSpan, Action)"/>.</summary>
    internal static TimeSpan RemainingWithin(TimeSpan wait)
    {
        if (s_withinDeadline.Value is not { } deadline)
        {
            return wait;
        }

        var left = deadline - DateTime.UtcNow;
        return left < TimeSpan.Zero ? TimeSpan.Zero : Min(wait, left);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (_disposed || !disposing)
        {
            return;
        }

        _disposed = true;
        ActorCell.SetAmbientSender(null);
        var terminated = Sys.Terminate().ContinueWith(static _ => true, TaskScheduler.Default);
        using var stopped = new ManualResetEventSlim();
        terminated.ContinueWith(_ => stopped.Set(), TaskScheduler.Default);
        if (!stopped.Wait(Dilated(TimeSpan.FromSeconds(10))))
        {
            throw new XunitException($"Actor system {Sys.Name} did not terminate within 10 s.");
        }

        _pause.Dispose();
    }

    private static DateTime Deadline(TimeSpan? duration) =>
        DateTime.UtcNow + RemainingWithin(TestKitSettings.Dilated(duration ?? TestKitSettings.DefaultTimeout));

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}

/// <summary>The xunit base class of actor specs (Akka.NET's <c>TestKit</c>).</summary>
public abstract class TestKit(string? systemName = null, ActorSystemSettings? settings = null)
    : TestKitBase(systemName, settings);
