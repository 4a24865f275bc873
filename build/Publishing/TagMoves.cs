using Btm.Cake.Logging;
using Btm.Core;
using Btm.Core.IO;
using Btm.Core.Release;

namespace Btm.Build.Publishing;

/// <summary>
/// Moves the public tag: first the marker on the claim package (btm-moving-&lt;tag&gt; → this
/// version), then every platform package, then every wrapper. Before each write the marker must
/// still name this version: a later release that set it owns the tag from then on.
/// </summary>
public static class TagMoves
{
    public static async Task MoveAsync(PublishRun run)
    {
        try
        {
            await MoveUnderMarkerAsync(run);
        }
        catch (ReleaseTakenOverException)
        {
            await YieldAsync(run);
            throw;
        }
    }

    /// <summary>Success: the marker goes, and so does every run tag on this version (this run's, and any a stopped run left).</summary>
    public static async Task TidyAsync(PublishRun run)
    {
        await run.ForEachAsync(run.Manifest.Packages, async p =>
        {
            try
            {
                if (run.MarkerSet && p == run.Claim)
                    await RemoveTagIfAsync(run, p.Name, run.MovingTag, run.Version);
                var (_, tags) = await run.Registry.VersionAsync(p.Name, p.Version);
                foreach (var (name, value) in tags)
                {
                    if (name.StartsWith(PublishRun.RunTagPrefix, StringComparison.Ordinal) && value == p.Version)
                        await run.Registry.RemoveDistTagAsync(p.Name, name);
                }
            }
            catch (RegistryException e)
            {
                run.Context.Warn($"{p.Name}: could not remove this run's tags ({e.Message}); harmless");
            }
        });
    }

    /// <summary>Removes a dist-tag only while it still points where this run expects.</summary>
    public static async Task RemoveTagIfAsync(PublishRun run, string name, string distTag, string version)
    {
        var (_, tags) = await run.Registry.VersionAsync(name, version);
        if (tags.GetValueOrDefault(distTag) == version)
            await run.Registry.RemoveDistTagAsync(name, distTag);
    }

    private static async Task MoveUnderMarkerAsync(PublishRun run)
    {
        var (registry, tag) = (run.Registry, run.Tag);
        PublishJournal.Write(run.Context, run.RegistryName, run.Version, tag);
        await SetTagAsync(run, run.Claim.Name, run.MovingTag, run.Version);
        run.MarkerSet = true;
        foreach (var phase in new[] { run.Platforms.ToList(), run.Wrappers.ToList() })
        {
            foreach (var p in phase)
                FaultPoints.Hit($"publish.tag:{p.Name}");
            await run.ForEachAsync(phase, async p =>
            {
                await CheckMarkerAsync(run);
                var (_, tags) = await registry.VersionAsync(p.Name, p.Version);
                var previous = tags.GetValueOrDefault(tag);
                if (previous == p.Version)
                    return;
                lock (run.Moved)
                    run.Moved.Add((p.Name, previous));
                await SetTagAsync(run, p.Name, tag, p.Version);
                FaultPoints.Hit($"publish.tagged:{p.Name}");
                if (run.Report[p.Name] == PublishOutcome.Published)
                    run.Report.Set(p.Name, PublishOutcome.Published, $"tagged {tag}");
            });
        }
        // A release that lost the marker can still land one write it had in flight; the holder
        // puts such a tag back (it holds the marker, so the tag is its to move).
        for (var round = 1; ; round++)
        {
            var after = await run.ForEachAsync(run.Manifest.Packages, async p => (p, (await registry.VersionAsync(p.Name, p.Version)).Tags));
            var off = after.Where(x => x.Tags.GetValueOrDefault(tag) != x.p.Version).ToList();
            if (off.Count == 0)
                break;
            if (round == 3)
            {
                var (p, tags) = off[0];
                throw new PublishException($"{p.Name}: dist-tag {tag} is {tags.GetValueOrDefault(tag) ?? "unset"} after moving it to {p.Version}");
            }
            await CheckMarkerAsync(run);
            foreach (var (p, tags) in off)
            {
                run.Context.Warn($"{p.Name}: {tag} moved to {tags.GetValueOrDefault(tag) ?? "nothing"} by a release that has since stopped; moving it to {p.Version} again");
                await SetTagAsync(run, p.Name, tag, p.Version);
            }
        }
        await CheckMarkerAsync(run);
        run.Context.Success($"dist-tag {tag} moved on all {run.Manifest.Packages.Count} package(s), wrappers last: " +
            string.Join(", ", run.Wrappers.Select(p => $"{p.Name}@{p.Version}")));
    }

    /// <summary>
    /// Another release holds the marker now. A tag this run moved that still points at this
    /// version may have landed after that release moved it: it goes to the version that release
    /// is moving to (the marker), or, when it has finished, to where it left the claim package.
    /// </summary>
    private static async Task YieldAsync(PublishRun run)
    {
        var (registry, tag) = (run.Registry, run.Tag);
        try
        {
            var (_, claimTags) = await registry.VersionAsync(run.Claim.Name, run.Version);
            var marker = claimTags.GetValueOrDefault(run.MovingTag);
            var winner = marker is not null && marker != run.Version ? marker : claimTags.GetValueOrDefault(tag);
            if (winner is null || winner == run.Version)
                return;
            foreach (var (name, _) in run.Moved)
            {
                var (_, tags) = await registry.VersionAsync(name, run.Version);
                if (tags.GetValueOrDefault(tag) != run.Version)
                    continue;
                await registry.SetDistTagAsync(name, tag, winner);
                run.Context.Warn($"{name}: {tag} moved back to {winner}, the release that holds {tag} now");
            }
        }
        catch (RegistryException e)
        {
            run.Context.Warn($"could not hand {tag} back to the release that holds it ({e.Message}); its Publish or a re-run of it completes the move");
        }
    }

    /// <summary>Throws <see cref="ReleaseTakenOverException"/> when another release has set the marker since.</summary>
    private static async Task CheckMarkerAsync(PublishRun run)
    {
        var (_, tags) = await run.Registry.VersionAsync(run.Claim.Name, run.Version);
        var marker = tags.GetValueOrDefault(run.MovingTag);
        if (marker == run.Version)
            return;
        // No marker and the claim package (moved last) already on this version: a concurrent run of
        // this same release finished the move and cleared the marker; the tag is where this run wants it.
        if (marker is null && tags.GetValueOrDefault(run.Tag) == run.Version)
            return;
        throw new ReleaseTakenOverException(
            $"another release ({marker ?? "finished since"}) started moving {run.Tag} while this run was moving it to {run.Version}: " +
            $"this run stops and leaves {run.Tag} to it; {run.Version}'s packages stay published, complete, on the tags already moved");
    }

    /// <summary>Sets a dist-tag; an answer that never came is settled by reading the tag back.</summary>
    private static async Task SetTagAsync(PublishRun run, string name, string distTag, string version)
    {
        try
        {
            await run.Registry.SetDistTagAsync(name, distTag, version);
        }
        catch (RegistryException e) when (e.OutcomeUnknown)
        {
            var (_, tags) = await run.Registry.VersionAsync(name, version);
            if (tags.GetValueOrDefault(distTag) != version)
                throw;
            run.Context.Warn($"{name}: {e.Message}; the registry shows {distTag} on {version}");
        }
    }

    /// <summary>Puts every tag this run moved back where it was, where it still points at this version.</summary>
    public static async Task RestoreAsync(PublishRun run)
    {
        foreach (var (name, previous) in Enumerable.Reverse(run.Moved))
        {
            try
            {
                var (_, tags) = await run.Registry.VersionAsync(name, run.Version);
                var now = tags.GetValueOrDefault(run.Tag);
                if (now != run.Version)
                {
                    run.Context.Warn($"{name}: {run.Tag} now points at {now ?? "nothing"}, not where this run put it; left alone");
                    continue;
                }
                if (previous is not null)
                    await run.Registry.SetDistTagAsync(name, run.Tag, previous);
                else
                    await run.Registry.RemoveDistTagAsync(name, run.Tag);
            }
            catch (RegistryException e)
            {
                run.Context.Fail($"{name}: could not restore dist-tag {run.Tag}: {e.Message}");
            }
        }
        if (!run.MarkerSet)
            return;
        try
        {
            await RemoveTagIfAsync(run, run.Claim.Name, run.MovingTag, run.Version);
        }
        catch (RegistryException e)
        {
            run.Context.Warn($"{run.Claim.Name}: could not remove {run.MovingTag} ({e.Message})");
        }
    }
}
