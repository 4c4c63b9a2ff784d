global using Nanokit.TestSupport;
global using Xunit;

// One real node and one real browser per class; on two cores, suites in parallel only slow each other down.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
