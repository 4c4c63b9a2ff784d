using Nanokit.Core.Diagnostics;
using Nanokit.Core.Graph;
using Nanokit.Core.Model;
using Xunit;
using static Nanokit.Core.Tests.Graph.TestProjects;

namespace Nanokit.Core.Tests.Graph;

public sealed class GraphEngineTests
{
    [Fact]
    public void Services_without_dependencies_are_in_layer_zero_sorted_by_name()
    {
        var graph = GraphEngine.Build(Project(Service("web"), Service("db"), Service("cache")));

        Assert.Equal([["cache", "db", "web"]], Names(graph.Layers));
    }

    [Fact]
    public void A_service_sits_one_layer_above_its_deepest_dependency()
    {
        // db <- api <- web, and web also depends on db directly: web still waits for api.
        var graph = GraphEngine.Build(Project(
            Service("db"),
            Service("api").DependingOn("db"),
            Service("web").DependingOn("api").DependingOn("db"),
            Service("cache"),
            Service("worker").DependingOn("cache").DependingOn("db")));

        Assert.Equal([["cache", "db"], ["api", "worker"], ["web"]], Names(graph.Layers));
        Assert.Equal(2, graph.LayerOf("web"));
        Assert.Equal<string>(["api", "db"], graph.DependenciesOf("web"));
    }

    [Fact]
    public void Reverse_layers_list_the_layers_last_to_first()
    {
        var graph = GraphEngine.Build(Project(Service("db"), Service("api").DependingOn("db"), Service("web").DependingOn("api")));

        Assert.Equal([["web"], ["api"], ["db"]], Names(graph.ReverseLayers));
    }

    [Fact]
    public void An_empty_project_has_no_layers()
    {
        var graph = GraphEngine.Build(Project());

        Assert.Empty(graph.Layers);
        Assert.Empty(graph.ReverseLayers);
        Assert.Equal(0, graph.Count);
    }

    [Fact]
    public void Names_are_ordered_ordinally_whatever_the_culture()
    {
        var graph = GraphEngine.Build(Project(Service("b"), Service("B"), Service("a-1"), Service("a_1")));

        Assert.Equal([["B", "a-1", "a_1", "b"]], Names(graph.Layers));
    }

    [Fact]
    public void The_subgraph_holds_the_named_services_and_their_transitive_dependencies()
    {
        var graph = GraphEngine.Build(Project(
            Service("db"),
            Service("cache"),
            Service("api").DependingOn("db"),
            Service("web").DependingOn("api"),
            Service("admin").DependingOn("cache")));

        var sub = graph.Subgraph(["web"]);

        Assert.Equal([["db"], ["api"], ["web"]], Names(sub.Layers));
        Assert.False(sub.Contains("cache"));
        Assert.Equal<string>(["db"], sub.DependenciesOf("api"));
    }

    [Fact]
    public void The_subgraph_of_several_services_keeps_their_layers()
    {
        var graph = GraphEngine.Build(Project(
            Service("db"),
            Service("cache"),
            Service("api").DependingOn("db"),
            Service("admin").DependingOn("cache")));

        var sub = graph.Subgraph(["admin", "db", "admin"]);

        Assert.Equal([["cache", "db"], ["admin"]], Names(sub.Layers));
    }

    [Fact]
    public void The_subgraph_of_unknown_services_is_an_error_naming_each_of_them()
    {
        var graph = GraphEngine.Build(Project(Service("db")));

        var error = Assert.Throws<UnknownServiceException>(() => graph.Subgraph(["db", "zeta", "alpha"]));

        Assert.Equal("no such service: alpha, zeta", error.Message);
        Assert.Equal<string>(["alpha", "zeta"], error.Services);
    }

    [Fact]
    public void A_cycle_names_its_path_and_where_each_edge_is_declared()
    {
        var project = Project(
            Service("api").DependingOn("worker", At(7, 9)),
            Service("worker").DependingOn("api", At(12, 9)),
            Service("db"));

        var error = Assert.Single(Assert.Throws<ConfigException>(() => GraphEngine.Build(project)).Errors);

        Assert.Equal(
            "nanokit.yml:7:9: cycle: api -> worker -> api (api -> worker at nanokit.yml:7:9, worker -> api at nanokit.yml:12:9)",
            error.ToString());
    }

    [Fact]
    public void A_cycle_path_starts_at_its_first_service_by_name_wherever_the_search_enters_it()
    {
        var project = Project(
            Service("a").DependingOn("z", At(1, 1)),
            Service("z").DependingOn("y", At(2, 1)),
            Service("y").DependingOn("x", At(3, 1)),
            Service("x").DependingOn("z", At(4, 1)));

        var error = Assert.Single(GraphEngine.FindCycles(project));

        Assert.Equal("cycle: x -> z -> y -> x (x -> z at nanokit.yml:4:1, z -> y at nanokit.yml:2:1, y -> x at nanokit.yml:3:1)", error.Message);
        Assert.Equal(At(4, 1), error.Location);
    }

    [Fact]
    public void Every_cycle_is_reported_not_only_the_first()
    {
        var project = Project(
            Service("a").DependingOn("b", At(1, 1)).DependingOn("c", At(2, 1)),
            Service("b").DependingOn("a", At(3, 1)),
            Service("c").DependingOn("a", At(4, 1)),
            Service("p").DependingOn("q", At(5, 1)),
            Service("q").DependingOn("p", At(6, 1)),
            Service("ok"));

        var messages = GraphEngine.FindCycles(project).Select(e => e.Message.Split(" (")[0]);

        Assert.Equal(["cycle: a -> b -> a", "cycle: a -> c -> a", "cycle: p -> q -> p"], messages);
    }

    [Fact]
    public void A_service_depending_on_itself_is_a_cycle()
    {
        var error = Assert.Single(GraphEngine.FindCycles(Project(Service("api").DependingOn("api", At(3, 7)))));

        Assert.Equal("cycle: api -> api (api -> api at nanokit.yml:3:7)", error.Message);
    }

    [Fact]
    public void An_acyclic_project_has_no_cycle_errors()
    {
        Assert.Empty(GraphEngine.FindCycles(Project(Service("db"), Service("api").DependingOn("db"))));
    }

    [Fact]
    public void A_required_dependency_on_an_undefined_service_is_a_located_error()
    {
        var project = Project(Service("api").DependingOn("db", At(4, 7)));

        var error = Assert.Single(Assert.Throws<ConfigException>(() => GraphEngine.Build(project)).Errors);

        Assert.Equal("nanokit.yml:4:7: service \"api\" depends on undefined service \"db\"", error.ToString());
    }

    [Fact]
    public void An_optional_dependency_on_an_undefined_service_is_dropped()
    {
        var graph = GraphEngine.Build(Project(Service("api").DependingOn("db", required: false)));

        Assert.Equal([["api"]], Names(graph.Layers));
        Assert.Empty(graph.DependenciesOf("api"));
    }

    [Fact]
    public void Asking_for_the_layer_of_an_unknown_service_is_an_error()
    {
        var graph = GraphEngine.Build(Project(Service("db")));

        Assert.Throws<UnknownServiceException>(() => graph.LayerOf("api"));
    }

    [Fact]
    public void A_chain_of_100_000_services_is_layered_without_recursion()
    {
        var graph = GraphEngine.Build(Chain(100_000, closed: false));

        Assert.Equal(100_000, graph.Layers.Length);
        Assert.Equal("s000000", graph.Layers[0][0]);
        Assert.Equal(99_999, graph.LayerOf("s099999"));
    }

    [Fact]
    public void A_cycle_through_100_000_services_is_found_without_recursion()
    {
        var error = Assert.Single(GraphEngine.FindCycles(Chain(100_000, closed: true)));

        Assert.StartsWith("cycle: s000000 -> s099999 -> s099998", error.Message, StringComparison.Ordinal);
    }

    private static ProjectSpec Chain(int length, bool closed)
    {
        static string Name(int i) => $"s{i:D6}";
        return Project("chain", Enumerable.Range(0, length).Select(i =>
            i > 0 ? Service(Name(i)).DependingOn(Name(i - 1))
            : closed ? Service(Name(i)).DependingOn(Name(length - 1))
            : Service(Name(i))));
    }
}
