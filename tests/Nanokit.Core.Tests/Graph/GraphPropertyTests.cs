using FsCheck;
using FsCheck.Fluent;
using Nanokit.Core.Diagnostics;
using Nanokit.Core.Graph;
using Nanokit.Core.Model;
using Xunit;
using static Nanokit.Core.Tests.Graph.TestProjects;

namespace Nanokit.Core.Tests.Graph;

public sealed class GraphPropertyTests
{
    [Fact]
    public void Every_edge_goes_to_an_earlier_layer()
    {
        Prop.ForAll(RandomProjects.Acyclic(), project =>
        {
            var graph = GraphEngine.Build(project);
            return project.Services.Values.All(s => s.DependsOn.Keys.All(d => graph.LayerOf(d) < graph.LayerOf(s.Name)));
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Each_service_sits_exactly_one_layer_above_its_deepest_dependency()
    {
        Prop.ForAll(RandomProjects.Acyclic(), project =>
        {
            var graph = GraphEngine.Build(project);
            return project.Services.Values.All(s =>
                graph.LayerOf(s.Name) == (s.DependsOn.IsEmpty ? 0 : 1 + s.DependsOn.Keys.Max(graph.LayerOf)));
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Layers_hold_every_service_once_sorted_by_name()
    {
        Prop.ForAll(RandomProjects.Acyclic(), project =>
        {
            var layers = GraphEngine.Build(project).Layers;
            var all = layers.SelectMany(l => l).ToList();
            return all.Count == project.Services.Count
                && all.ToHashSet().SetEquals(project.Services.Keys)
                && layers.All(l => !l.IsEmpty && l.SequenceEqual(l.Order(StringComparer.Ordinal)));
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Reverse_layers_are_the_layers_reversed()
    {
        Prop.ForAll(RandomProjects.Acyclic(), project =>
        {
            var graph = GraphEngine.Build(project);
            return Names(graph.ReverseLayers).Reverse().Zip(Names(graph.Layers)).All(p => p.First.SequenceEqual(p.Second))
                && graph.ReverseLayers.Length == graph.Layers.Length;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void A_subgraph_is_exactly_the_named_services_and_everything_they_need()
    {
        var cases =
            from project in RandomProjects.AcyclicGen()
            from picks in Gen.SubListOf(project.Services.Keys.ToArray())
            select (project, picks);

        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var (project, picks) = c;
            var sub = GraphEngine.Build(project).Subgraph(picks);
            var expected = new HashSet<string>(picks);
            var work = new Stack<string>(picks);
            while (work.Count > 0)
            {
                foreach (var d in project.Services[work.Pop()].DependsOn.Keys)
                {
                    if (expected.Add(d))
                    {
                        work.Push(d);
                    }
                }
            }

            return expected.SetEquals(sub.Services)
                && sub.Services.All(s => project.Services[s].DependsOn.Keys.All(d => sub.LayerOf(d) < sub.LayerOf(s)));
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Closing_a_dependency_path_into_a_loop_is_reported_as_a_cycle()
    {
        var cases =
            from project in RandomProjects.AcyclicGen().Where(p => p.Services.Values.Any(s => !s.DependsOn.IsEmpty))
            from service in Gen.Elements(project.Services.Values.Where(s => !s.DependsOn.IsEmpty).ToArray())
            from dependency in Gen.Elements(service.DependsOn.Keys.ToArray())
            select (project, service.Name, dependency);

        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var (project, name, dependency) = c;
            var looped = project with
            {
                Services = project.Services.SetItem(dependency, project.Services[dependency].DependingOn(name, At(99, 5))),
            };
            var errors = Assert.Throws<ConfigException>(() => GraphEngine.Build(looped)).Errors;
            return errors.Length >= 1
                && errors.All(e => e.Message.StartsWith("cycle: ", StringComparison.Ordinal))
                && errors.Any(e => e.Message.Contains($"{dependency} -> {name} at nanokit.yml:99:5", StringComparison.Ordinal));
        }).QuickCheckThrowOnFailure();
    }
}
