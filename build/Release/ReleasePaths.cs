namespace Btm.Build.Release;

public static class ReleasePaths
{
    /// <summary>artifacts/&lt;version&gt;: what Package writes and Verify and Publish read.</summary>
    public static string ReleaseDir(BuildContext context) => Path.Combine(context.RepoRoot, "artifacts", context.Settings.Version);
}
