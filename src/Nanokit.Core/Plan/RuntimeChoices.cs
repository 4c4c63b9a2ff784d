using Nanokit.Core.Model;

namespace Nanokit.Core.Plan;

/// <summary>How <c>plan</c> says which runtime a project runs on and why.</summary>
public static class RuntimeChoices
{
    public static string Describe(ProjectSpec project)
    {
        ArgumentNullException.ThrowIfNull(project);
        var name = project.Runtime.ToString().ToLowerInvariant();
        return project.RuntimeChoice switch
        {
            RuntimeChoice.DefaultForImages => name + " (the default: no runtime: in the file, and every service declares an image)",
            RuntimeChoice.DefaultForCommands => name + " (the default: no runtime: in the file, and a service declares no image)",
            _ => name + " (declared)",
        };
    }
}
