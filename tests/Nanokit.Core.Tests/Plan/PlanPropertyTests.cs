using System.Collections.Immutable;
using FsCheck;
using FsCheck.Fluent;
using Nanokit.Core.Model;
using Nanokit.Core.Plan;
using Nanokit.Core.Tests.Graph;
using Xunit;
using static Nanokit.Core.Tests.Plan.PlanEngineTests;

namespace Nanokit.Core.Tests.Plan;

public sealed class PlanPropertyTests
{
    [Fact]
    public void Planning_the_desired_state_against_itself_yields_only_no_ops()
    {
        var cases =
            from project in RandomProjects.AcyclicGen()
            from order in Gen.Shuffle(Deployed(project).Replicas.ToArray())
            select (project, observed: new ObservedState([.. order]));

        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var plan = PlanEngine.Plan(c.project, c.observed);
            return !plan.HasChanges
                && plan.Actions.All(a => a.Action == ActionType.NoOp)
                && plan.Actions.Count() == c.observed.Replicas.Length
                && plan.ToString() == PlanTextRenderer.NoChanges;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Changing_the_scale_never_recreates_a_replica()
    {
        var cases =
            from project in RandomProjects.AcyclicGen()
            from scales in Gen.ArrayOf(Gen.Choose(0, 5), project.Services.Count)
            select (project, scaled: project with
            {
                Services = project.Services.Values
                    .Select((s, i) => s with { Replicas = scales[i] })
                    .ToImmutableSortedDictionary(s => s.Name, s => s, StringComparer.Ordinal),
            });

        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var plan = PlanEngine.Plan(c.scaled, Deployed(c.project));
            return plan.Actions.All(a =>
            {
                var before = c.project.Services[a.Service].Replicas;
                var after = c.scaled.Services[a.Service].Replicas;
                return a.Action switch
                {
                    ActionType.NoOp => a.Replica <= Math.Min(before, after),
                    ActionType.Create => a.Replica > before && a.Replica <= after,
                    ActionType.Delete => a.Replica > after && a.Replica <= before,
                    _ => false,
                };
            });
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Plans_are_ordered_by_layer_then_service_then_replica()
    {
        Prop.ForAll(RandomProjects.Acyclic(), project =>
        {
            var layers = PlanEngine.Plan(project, ObservedState.Empty).Layers;
            return layers.Select((l, i) => l.Index == i).All(b => b)
                && layers.All(l => l.Actions.Zip(l.Actions.Skip(1)).All(p =>
                    string.CompareOrdinal(p.First.Service, p.Second.Service) is var order
                    && (order < 0 || (order == 0 && p.First.Replica < p.Second.Replica))));
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void The_hash_ignores_the_order_entries_were_added_in()
    {
        var cases =
            from count in Gen.Choose(0, 12)
            from values in Gen.ArrayOf(Gen.Elements("a", "b", "", "x y", "ünï"), count)
            from order in Gen.Shuffle(Enumerable.Range(0, count))
            select (values, order);

        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var pairs = c.values.Select((v, i) => KeyValuePair.Create($"K{i}", (string?)v)).ToArray();
            var shuffled = c.order.Select(i => pairs[i]).ToArray();
            var reverseOrdinal = Comparer<string>.Create((x, y) => string.CompareOrdinal(y, x));
            var a = TestProjects.Service("api") with { Environment = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, pairs) };
            var b = TestProjects.Service("api") with
            {
                Environment = ImmutableSortedDictionary.CreateRange(reverseOrdinal, shuffled),
                Labels = ImmutableSortedDictionary.CreateRange(reverseOrdinal, shuffled.Select(p => KeyValuePair.Create(p.Key, p.Value ?? ""))),
            };
            var aWithLabels = a with { Labels = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, pairs.Select(p => KeyValuePair.Create(p.Key, p.Value ?? ""))) };
            return ConfigHash.Compute(aWithLabels) == ConfigHash.Compute(b);
        }).QuickCheckThrowOnFailure();
    }
}
