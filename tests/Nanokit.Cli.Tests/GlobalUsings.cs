global using Nanokit.TestSupport;
global using Xunit;
