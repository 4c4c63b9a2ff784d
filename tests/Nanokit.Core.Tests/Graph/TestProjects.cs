using System.Collections.Immutable;
using Nanokit.Core.Diagnostics;
using Nanokit.Core.Model;

namespace Nanokit.Core.Tests.Graph;

/// <summary>Builds resolved projects directly, as the loader would, for graph and plan tests.</summary>
internal static class TestProjects
{
    public static SourceLocation At(int line, int column) => new("nanokit.yml", line, column);

    public static ServiceSpec Service(string name, string image = "nginx:1", int replicas = 1) =>
        new() { Name = name, Image = image, Replicas = replicas, Location = At(1, 3) };

    public static ServiceSpec DependingOn(
        this ServiceSpec service,
        string target,
        SourceLocation? at = null,
        DependencyCondition condition = DependencyCondition.ServiceStarted,
        bool required = true,
        bool restart = false) =>
        service with
        {
            DependsOn = service.DependsOn.SetItem(
                target,
                new Dependency(target, condition, required, restart, at ?? SourceLocation.Unknown)),
        };

    public static ServiceSpec WithEnvironment(this ServiceSpec service, string name, string? value, bool secret = false) =>
        service with
        {
            Environment = service.Environment.SetItem(name, value),
            SecretEnvironment = secret ? service.SecretEnvironment.Add(name) : service.SecretEnvironment,
        };

    public static ProjectSpec Project(params ServiceSpec[] services) => Project("shop", services);

    public static ProjectSpec Project(string name, IEnumerable<ServiceSpec> services) =>
        new(
            name,
            RuntimeKind.Local,
            DriftSettings.Default,
            services.ToImmutableSortedDictionary(s => s.Name, s => s, StringComparer.Ordinal),
            "/work");

    /// <summary>The exact string lists of a graph's layers, for equality assertions.</summary>
    public static string[][] Names(ImmutableArray<ImmutableArray<string>> layers) =>
        layers.Select(layer => layer.ToArray()).ToArray();
}
