using FsCheck;
using FsCheck.Fluent;
using Nanokit.Core.Model;
using static Nanokit.Core.Tests.Graph.TestProjects;

namespace Nanokit.Core.Tests.Graph;

/// <summary>FsCheck generators of acyclic projects whose name order is unrelated to their dependency order.</summary>
internal static class RandomProjects
{
    private static readonly string[] Images = ["nginx:1", "nginx:2", "postgres:16", "shop/api:1"];

    /// <summary>Projects of up to 30 services; a service depends on about a quarter of the services generated before it.</summary>
    public static Arbitrary<ProjectSpec> Acyclic() => AcyclicGen().ToArbitrary();

    public static Gen<ProjectSpec> AcyclicGen() =>
        from n in Gen.Choose(0, 30)
        from names in Gen.Shuffle(Enumerable.Range(0, n).Select(i => $"svc-{i:D2}"))
        from edges in Gen.ArrayOf(Gen.Choose(0, 3), n * n)
        from replicas in Gen.ArrayOf(Gen.Choose(0, 3), n)
        from images in Gen.ArrayOf(Gen.Elements(Images), n)
        from environment in Gen.ArrayOf(Gen.Choose(0, 4), n)
        select Project("random", Enumerable.Range(0, n).Select(i =>
        {
            var service = Service(names[i], images[i], replicas[i]);
            for (var e = 0; e < environment[i]; e++)
            {
                service = service.WithEnvironment($"VAR_{(e * 7) % 5}", $"{i}-{e}", secret: e == 2);
            }

            for (var j = 0; j < i; j++)
            {
                if (edges[(i * n) + j] == 0)
                {
                    service = service.DependingOn(names[j]);
                }
            }

            return service;
        }));
}
