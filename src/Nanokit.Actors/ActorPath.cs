using System.Text;

namespace Nanokit.Actors;

/// <summary>The hierarchical name of an actor: <c>nanokit://system/user/parent/child</c>.</summary>
public sealed record ActorPath(ActorPath? Parent, string Name)
{
    public static ActorPath Root(string systemName) => new(null, systemName);

    public ActorPath Child(string name) => new(this, name);

    /// <summary>Names below the root, outermost first.</summary>
    public IReadOnlyList<string> Elements
    {
        get
        {
            var names = new List<string>();
            for (var p = this; p.Parent is not null; p = p.Parent)
            {
                names.Add(p.Name);
            }

            names.Reverse();
            return names;
        }
    }

    public override string ToString()
    {
        if (Parent is null)
        {
            return "nanokit://" + Name;
        }

        var sb = new StringBuilder(Parent.ToString());
        return sb.Append('/').Append(Name).ToString();
    }
}
