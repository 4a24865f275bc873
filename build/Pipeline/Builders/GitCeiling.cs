namespace Btm.Build.Pipeline;

/// <summary>
/// An upstream project builds in the unit's work tree, which sits inside the BTM clone: a
/// git-aware build script (jq's configure asks `git describe`) would read BTM's repository and
/// stamp its commit into the program. GIT_CEILING_DIRECTORIES stops git at the work tree.
/// </summary>
public static class GitCeiling
{
    /// <summary>Sets the ceiling when <paramref name="tree"/> is inside the unit's work tree (a package of our own builds in its folder, and is ours).</summary>
    public static void Apply(BuildUnit unit, string tree, IDictionary<string, string> environment)
    {
        var work = Path.TrimEndingDirectorySeparator(Path.GetFullPath(unit.WorkDir));
        if (Path.GetFullPath(tree).StartsWith(work + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            environment["GIT_CEILING_DIRECTORIES"] = work;
    }
}
