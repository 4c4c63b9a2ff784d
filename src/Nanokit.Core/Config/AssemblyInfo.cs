using System.Runtime.CompilerServices;

// The Config tests exercise the interpolator, dotenv parser and merge rules directly, not only through ProjectLoader.
[assembly: InternalsVisibleTo("Nanokit.Core.Tests")]
