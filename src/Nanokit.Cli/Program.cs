namespace Nanokit.Cli;

public static class Program
{
    public static int Main(string[] args) =>
        Nkapp.Run(args, new CliContext(Console.Out, Console.Error, Directory.GetCurrentDirectory(), CliContext.ReadProcessEnvironment()));
}
