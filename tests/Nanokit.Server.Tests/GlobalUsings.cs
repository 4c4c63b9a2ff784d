global using Nanokit.TestSupport;
global using Xunit;

// Each suite starts real server processes; on two cores, suites in parallel only slow each other down.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
