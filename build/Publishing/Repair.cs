using Btm.Cake.Logging;
using Btm.Core.Release;

namespace Btm.Build.Publishing;

/// <summary>
/// What a Publish does about an earlier run of the same release that stopped: it says so when
/// that run was moving a tag, lifts the "failed release" deprecation from versions a rollback
/// could only deprecate, and completes the release an earlier run claimed (docs/publishing.md).
/// </summary>
public static class Repair
{
    public static void WarnOfStoppedTagMove(PublishRun run, IReadOnlyDictionary<string, string> claimTags)
    {
        if (!claimTags.TryGetValue(run.MovingTag, out var moving))
            return;
        run.Context.Warn($"{run.Registry.Url}: a release of {moving} was moving {run.Tag} and has not finished (a run was stopped, or is running now): " +
            $"{run.Tag} may be mixed; " + (moving == run.Version ? "this run completes it" : $"run Publish of {moving} again to complete it"));
    }

    /// <summary>A version with identical bytes that a rollback deprecated becomes part of this complete release again.</summary>
    public static async Task LiftFailedDeprecationAsync(PublishRun run, ManifestPackage p, PublishedVersion version)
    {
        if (version.Deprecated is { } message && message.StartsWith(PublishRun.FailedReleasePrefix, StringComparison.Ordinal))
            await run.Registry.DeprecateAsync(p.Name, p.Version, "");
    }

    /// <summary>True when an earlier run published the claim: this run completes that release instead of claiming it.</summary>
    public static bool CompletesEarlierRelease(PublishRun run, HashSet<ManifestPackage> toPublish)
    {
        if (toPublish.Contains(run.Claim))
            return false;
        run.Context.Info($"{run.Claim.Name}@{run.Version} was published by an earlier run: this run completes that release");
        return true;
    }
}
