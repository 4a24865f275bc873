using Btm.Cake.Logging;
using Btm.Core.Release;

namespace Btm.Build.Publishing;

/// <summary>Everything checked before the first write: the registry answers, takes the credentials, and holds no other bytes of these versions.</summary>
public static class Preflight
{
    /// <summary>Returns the packages still to publish (the others are there with identical bytes).</summary>
    public static async Task<HashSet<ManifestPackage>> CheckAsync(PublishRun run)
    {
        var registry = run.Registry;
        if (await registry.PingAsync() is { } down)
            throw new PublishException($"preflight: {down}; nothing was published");
        try
        {
            var user = await registry.WhoAmIAsync();
            run.Context.Info($"registry {registry.Url} accepts the credentials (user {user})");
        }
        catch (RegistryException e)
        {
            throw new PublishException($"preflight: {registry.Url} refused the credentials (NPM_TOKEN): {e.Message}; nothing was published");
        }

        var states = await run.ForEachAsync(run.Manifest.Packages, async p => (Package: p, State: await registry.VersionAsync(p.Name, p.Version)));
        Repair.WarnOfStoppedTagMove(run, states.Single(s => s.Package == run.Claim).State.Tags);
        var conflicts = states.Where(s => s.State.Version.Exists && s.State.Version.Integrity != s.Package.Integrity).ToList();
        if (conflicts.Count > 0)
        {
            foreach (var (p, state) in conflicts)
            {
                run.Context.Fail($"{p.Name}@{p.Version} is already published with integrity {state.Version.Integrity}; this release has {p.Integrity}");
                run.Report.Set(p.Name, PublishOutcome.Failed, "a different build of this version is already published");
            }
            throw new PublishException($"preflight: {conflicts.Count} version(s) already published with different bytes; versions are immutable, so bump the version" +
                (run.RegistryName == "local" ? " (or, for the local registry, which is only yours: ./build.sh --target=Registry --reset empties it)" : "") + ". Nothing was published");
        }
        var toPublish = new HashSet<ManifestPackage>();
        foreach (var (p, state) in states)
        {
            if (!state.Version.Exists)
            {
                toPublish.Add(p);
                continue;
            }
            run.Report.Set(p.Name, PublishOutcome.Skipped, "already published with identical integrity");
            if (!run.DryRun)
                await Repair.LiftFailedDeprecationAsync(run, p, state.Version);
        }
        run.Context.Success($"preflight: {toPublish.Count} to publish, {states.Length - toPublish.Count} already published with identical bytes");
        return toPublish;
    }

    /// <summary>Says what would be published; each tarball is read now, so a damaged one fails the dry run too.</summary>
    public static void DryRun(PublishRun run, HashSet<ManifestPackage> toPublish)
    {
        foreach (var p in run.Manifest.Packages.OrderBy(p => p.Kind == ManifestPackage.WrapperKind))
        {
            if (!toPublish.Contains(p))
                continue;
            _ = TarballReader.ReadText(Path.Combine(run.ReleaseDir, p.Tarball), "package/package.json");
            run.Report.Set(p.Name, PublishOutcome.NotPublished, $"dry run: would publish {p.Tarball} under {PublishRun.RunTagPrefix}<run>, then tag {run.Tag}");
        }
        run.Context.Success($"dry run: {toPublish.Count} package(s) would be published (platform packages first, wrappers last), then tagged {run.Tag}");
    }
}
