using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Nanokit.Core.Plan;
using Nanokit.Reconciler.Hosting;
using Nanokit.Reconciler.Persistence;
using Nanokit.Runtime.Simulated;

namespace Nanokit.Reconciler.Tests;

/// <summary>What the reconciler does with its store: a failed write is final, and manifests, not CLR names, identify what is stored.</summary>
public sealed class StorageSpecs : ReconcilerFixture
{
    private const string Spec = "services:\n  web: {command: [v1]}\n";

    [Fact]
    public void A_journal_write_failure_stops_the_project_and_is_published_once_instead_of_restarting_it()
    {
        var failures = CreateTestProbe();
        Sys.EventStream.Subscribe(failures.Ref, typeof(StorageFailed));
        var project = Project();
        AwaitRun(Apply(project, Load(Spec)).Generation);
        Watch(project);
        Query($"CREATE TRIGGER disk_full BEFORE INSERT ON {JournalTable} BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;");

        project.Tell(new ApplySpec(Load(Spec.Replace("v1", "v2")), PlanOptions.Default), TestActor);

        var failed = failures.ExpectMsg<StorageFailed>();
        Assert.Equal(("shop", "project|shop"), (failed.Project, failed.PersistenceId));
        Assert.Contains("database or disk is full", failed.Reason);
        ExpectTerminated(project);
        failures.ExpectNoMsg(TimeSpan.FromMilliseconds(500));
    }

    [Fact]
    public async Task An_event_written_under_one_class_is_recovered_into_the_class_its_manifest_names_now()
    {
        var before = StartSystem("before", Manifest(typeof(NoteBeforeRename)));
        var writer = before.ActorOf(Props.Create(() => new Notebook()), "notebook");
        writer.Tell(new NoteBeforeRename("first"), TestActor);
        ExpectMsg("written");
        await before.Terminate().WaitAsync(TimeSpan.FromSeconds(10));

        using var after = StartSystem("after", Manifest(typeof(NoteAfterRename)));
        var reader = after.ActorOf(Props.Create(() => new Notebook()), "notebook");
        reader.Tell("read", TestActor);

        Assert.Equal("NoteAfterRename(first)", ExpectMsg<string>());
    }

    [Fact]
    public async Task A_project_on_PostgreSQL_survives_a_restart_with_its_generation()
    {
        var connectionString = Environment.GetEnvironmentVariable("NANOKIT_TEST_POSTGRES");
        Assert.False(string.IsNullOrEmpty(connectionString), "NANOKIT_TEST_POSTGRES is not set: scripts/test.sh starts PostgreSQL and sets it");
        var name = "pg-" + Guid.NewGuid().ToString("N")[..12];
        var config = NodeConfig.For(new StateStore.PostgreSql(connectionString!));

        var first = ActorSystem.Create("first", config);
        try
        {
            var events = CreateTestProbe(first);
            Subscribe(first, events);
            var project = first.ActorOf(ProjectActor.Props(name, "/tmp/nanokit-reconciler-spec", Runtime, Fast), "project");
            project.Tell(new ApplySpec(Load(Spec) with { Name = name }, PlanOptions.Default), TestActor);
            var (completed, _) = AwaitRun(ExpectMsg<SpecAccepted>(TimeSpan.FromSeconds(30)).Generation, events, TimeSpan.FromSeconds(30));
            Assert.True(completed.Result.Succeeded, string.Join("; ", completed.Result.Failures));
        }
        finally
        {
            await first.Terminate().WaitAsync(TimeSpan.FromSeconds(10));
        }

        var restarted = ActorSystem.Create("restarted", config);
        try
        {
            var project = restarted.ActorOf(ProjectActor.Props(name, "/tmp/nanokit-reconciler-spec", Runtime, Fast), "project");
            project.Tell(GetProjectStatus.Instance, TestActor);
            var status = ExpectMsg<CurrentProjectStatus>(TimeSpan.FromSeconds(30)).Status;

            Assert.Equal((1L, 1L, false), (status.Generation, status.ObservedGeneration, status.Running));
        }
        finally
        {
            await restarted.Terminate().WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    [Fact]
    public async Task An_intent_accepted_on_PostgreSQL_survives_a_crash_and_the_restarted_node_resumes_it()
    {
        var connectionString = Environment.GetEnvironmentVariable("NANOKIT_TEST_POSTGRES");
        Assert.False(string.IsNullOrEmpty(connectionString), "NANOKIT_TEST_POSTGRES is not set: scripts/test.sh starts PostgreSQL and sets it");
        var name = "pg-" + Guid.NewGuid().ToString("N")[..12];
        var config = NodeConfig.For(new StateStore.PostgreSql(connectionString!));

        var crashed = ActorSystem.Create("crashed", config);
        // The crash lands mid-run whatever the journal's speed: the crashed node's creates never finish.
        crashed.ActorOf(ProjectActor.Props(name, "/tmp/nanokit-reconciler-spec", new CreatesNeverFinish(Runtime), Fast), "project")
            .Tell(new ApplySpec(Load(Spec) with { Name = name }, PlanOptions.Default), TestActor);
        var accepted = ExpectMsg<SpecAccepted>(TimeSpan.FromSeconds(30));
        await crashed.Terminate().WaitAsync(TimeSpan.FromSeconds(10));

        var restarted = ActorSystem.Create("restarted", config);
        try
        {
            var events = CreateTestProbe(restarted);
            Subscribe(restarted, events);
            restarted.ActorOf(ProjectActor.Props(name, "/tmp/nanokit-reconciler-spec", Runtime, Fast), "project");

            var (completed, _) = AwaitRun(accepted.Generation, events, TimeSpan.FromSeconds(30));

            Assert.Equal(RunTrigger.Resume, completed.Trigger);
            Assert.True(completed.Result.Succeeded, string.Join("; ", completed.Result.Failures));
        }
        finally
        {
            await restarted.Terminate().WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    /// <summary>Binds the spec's note manifest to <paramref name="type"/>, beside the reconciler's own manifests.</summary>
    private static Config Manifest(Type type) =>
        ConfigurationFactory.ParseString($"akka.actor.serialization-settings.nanokit.manifests {{ \"test.note.v1\" = \"{type.FullName}, {type.Assembly.GetName().Name}\" }}");

    public sealed record NoteBeforeRename(string Text) : IPersistedState;

    public sealed record NoteAfterRename(string Text) : IPersistedState;

    /// <summary>Persists what it is told and answers "written"; answers "read" with what it recovered.</summary>
    private sealed class Notebook : ReceivePersistentActor
    {
        private readonly List<string> recovered = [];

        public Notebook()
        {
            Recover<NoteAfterRename>(n => recovered.Add($"NoteAfterRename({n.Text})"));
            Recover<NoteBeforeRename>(n => recovered.Add($"NoteBeforeRename({n.Text})"));
            Command<NoteBeforeRename>(note => Persist(note, _ => Sender.Tell("written")));
            Command<string>(_ => Sender.Tell(string.Join(", ", recovered)));
        }

        public override string PersistenceId => "notebook";
    }
}
