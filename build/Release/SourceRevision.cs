using Btm.Core;
using System.Globalization;
using Btm.Build.Pipeline;

namespace Btm.Build.Release;

/// <summary>The commit a release is built from, whether the tree was clean, and the build time to record.</summary>
public sealed record SourceRevision(string? Commit, bool Dirty, DateTimeOffset BuildTime, string TimeSource)
{
    public static SourceRevision Read(string repoRoot, Btm.Cake.Hosting.ToolLookup tools)
    {
        string? commit = null;
        var dirty = true;
        long? commitTime = null;
        if (tools.Find("git") is { } git)
        {
            var head = ToolProbe.RunIn(repoRoot, git, "rev-parse", "--verify", "HEAD");
            if (head.ExitCode == 0)
            {
                commit = head.Output.Trim();
                dirty = ToolProbe.RunIn(repoRoot, git, "status", "--porcelain", "--untracked-files=normal").Output.Trim().Length > 0;
                if (long.TryParse(ToolProbe.RunIn(repoRoot, git, "log", "-1", "--format=%ct").Output.Trim(), out var t))
                    commitTime = t;
            }
        }
        // Never "now": the same commit must give the same manifest.
        if (Environment.GetEnvironmentVariable("SOURCE_DATE_EPOCH") is { Length: > 0 } epoch)
        {
            if (!long.TryParse(epoch, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
                throw new BuildFailedException($"SOURCE_DATE_EPOCH '{epoch}' is not a number of seconds; unset it or fix it");
            return new SourceRevision(commit, dirty, DateTimeOffset.FromUnixTimeSeconds(seconds), "SOURCE_DATE_EPOCH");
        }
        return commitTime is { } ct
            ? new SourceRevision(commit, dirty, DateTimeOffset.FromUnixTimeSeconds(ct), "commit")
            : new SourceRevision(commit, dirty, DateTimeOffset.UnixEpoch, "none");
    }
}
