using Btm.Cake.Logging;
using Btm.Core.Release;

namespace Btm.Build.Publishing;

/// <summary>
/// Undoes this run's writes. Tags go back only where they still point at this version. Packages:
/// the claim holder removes everything of this version with these bytes; any other run removes
/// only what it wrote, and nothing at all once another run holds the claim.
/// </summary>
public static class Rollback
{
    public static async Task RunAsync(PublishRun run, string reason)
    {
        await TagMoves.RestoreAsync(run);
        List<ManifestPackage> undo;
        try
        {
            undo = await UndoSetAsync(run);
        }
        catch (RegistryException e)
        {
            run.Context.Fail($"rollback could not read the registry ({e.Message}); run Publish again to complete or --target=Verify --registry=<url> to check");
            return;
        }
        // Wrappers first: a wrapper never stays without its platform packages.
        foreach (var p in undo.OrderBy(p => p.Kind == ManifestPackage.PlatformKind))
            await UndoAsync(run, p, reason);
    }

    private static async Task<List<ManifestPackage>> UndoSetAsync(PublishRun run)
    {
        var states = await run.ForEachAsync(run.Manifest.Packages, async p => (p, State: await run.Registry.VersionAsync(p.Name, p.Version)));
        var claim = states.Single(s => s.p == run.Claim).State;
        var ours = states.Where(s => s.State.Version.Exists && s.State.Version.Integrity == s.p.Integrity);
        if (run.Holder)
            return ours.Select(s => s.p).ToList();
        var mine = ours.Where(s => run.Ours.Contains(s.p.Name)).Select(s => s.p).ToList();
        if (!claim.Version.Exists)
            return mine;
        // Another run (this one's predecessor, or one running now) holds the release these bytes belong to.
        foreach (var p in mine)
            run.Report.Set(p.Name, PublishOutcome.Published, $"left: part of release {run.Version}, which another run holds");
        if (mine.Count > 0)
            run.Context.Warn($"{mine.Count} package(s) this run published stay: {run.Claim.Name}@{run.Version} is on the registry, so another run holds that release");
        return [];
    }

    private static async Task UndoAsync(PublishRun run, ManifestPackage p, string reason)
    {
        var who = run.Ours.Contains(p.Name) ? "" : " (identical bytes from an earlier run of this release)";
        try
        {
            await run.Registry.UnpublishAsync(p.Name, p.Version);
            run.Report.Set(p.Name, PublishOutcome.RolledBack, "unpublished" + who);
            run.Context.Warn($"rolled back {p.Name}@{p.Version} (unpublished){who}");
            return;
        }
        catch (RegistryException e)
        {
            run.Context.Warn($"{p.Name}@{p.Version}: the registry refused to unpublish it ({e.Message}); deprecating");
        }
        try
        {
            await run.Registry.DeprecateAsync(p.Name, p.Version, $"{PublishRun.FailedReleasePrefix} {run.Version}: {reason}; do not use");
            run.Report.Set(p.Name, PublishOutcome.Deprecated, "the registry refused to unpublish; deprecated");
        }
        catch (RegistryException e)
        {
            run.Report.Set(p.Name, PublishOutcome.Failed, $"published, and rollback failed: {e.Message}");
        }
    }
}
