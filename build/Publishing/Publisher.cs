using System.Security.Cryptography;
using Btm.Build.Release;
using Btm.Cake.Logging;
using Btm.Core;
using Btm.Core.IO;
using Btm.Core.Release;

namespace Btm.Build.Publishing;

/// <summary>
/// All-or-nothing publishing of one release (docs/publishing.md): preflight before anything is
/// written; platform packages in parallel under this run's own tag; the claim (the first wrapper)
/// only once every platform package is confirmed; the other wrappers; the public tag moved last
/// under a marker that concurrent runs check before every tag write. Every request whose outcome
/// is unknown is settled by reading the registry back, and a failure undoes only what this run
/// wrote, or, when it holds the claim, everything of this version with these bytes.
/// </summary>
public sealed class Publisher(BuildContext context, string releaseDir, ReleaseManifest manifest, RegistryClient registry,
    NpmCredentials credentials, string tag, bool dryRun, string registryName)
{
    /// <summary>Each run publishes under btm-run-&lt;random&gt;: the registry itself then records which run wrote a version.</summary>
    public const string RunTagPrefix = "btm-run-";

    /// <summary>On the claim package, btm-moving-&lt;tag&gt; names the version whose release is moving that tag.</summary>
    public const string MovingTagPrefix = "btm-moving-";

    // Each publish mostly waits on the network; beyond this, registries throttle.
    private const int MaxParallel = 6;

    private const string FailedReleasePrefix = "failed release";

    public PublishReport Report { get; } = new();

    public string RunTag { get; } = RunTagPrefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));

    private string MovingTag => MovingTagPrefix + tag;
    // The claim package's version names the release on the registry (a package may carry its own version).
    private string Version => Claim.Version;

    private readonly HashSet<string> _ours = new(StringComparer.Ordinal);
    private readonly List<(string Name, string? Previous)> _moved = [];
    private readonly SemaphoreSlim _gate = new(MaxParallel);
    private bool _holder;
    private bool _markerSet;

    private IEnumerable<ManifestPackage> Platforms => manifest.Packages.Where(p => p.Kind == ManifestPackage.PlatformKind);
    private IEnumerable<ManifestPackage> Wrappers => manifest.Packages.Where(p => p.Kind == ManifestPackage.WrapperKind);

    /// <summary>
    /// The package whose version is the release's claim: publishing a version is the one
    /// test-and-set an npm registry offers, and the run tag on it names the holder.
    /// </summary>
    public static ManifestPackage ClaimPackage(ReleaseManifest manifest) =>
        manifest.Packages.Where(p => p.Kind == ManifestPackage.WrapperKind).OrderBy(p => p.Name, StringComparer.Ordinal).FirstOrDefault()
        ?? manifest.Packages.OrderBy(p => p.Name, StringComparer.Ordinal).First();

    private ManifestPackage Claim => ClaimPackage(manifest);

    public void Run()
    {
        foreach (var p in Platforms.Concat(Wrappers))
            Report.Set(p.Name, PublishOutcome.NotPublished);
        var toPublish = Preflight();
        if (dryRun)
        {
            DryRun(toPublish);
            return;
        }
        try
        {
            PublishAll(Platforms.Where(toPublish.Contains).ToList());
            Confirm(Platforms);
            TakeClaim(toPublish);
            PublishAll(Wrappers.Where(p => toPublish.Contains(p) && p != Claim).ToList());
            Confirm(Wrappers);
            InstallFromRegistry();
            MoveTags();
        }
        catch (ReleaseTakenOverException e)
        {
            // Another run owns what happens next; undoing anything here could break its release.
            context.Fail(e.Message);
            PublishJournal.Clear(context);
            throw;
        }
        catch (Exception e)
        {
            context.Fail($"publishing failed: {Message(e)}");
            Rollback(Message(e));
            PublishJournal.Clear(context);
            if (e is not BuildFailedException)
                throw;
            throw new PublishException($"release {Version} was not published: {Message(e)}");
        }
        PublishJournal.Clear(context);
        Tidy();
    }

    /// <summary>Everything checked before the first write; returns the packages still to publish.</summary>
    private HashSet<ManifestPackage> Preflight()
    {
        if (registry.PingAsync().GetAwaiter().GetResult() is { } down)
            throw new PublishException($"preflight: {down}; nothing was published");
        try
        {
            var user = registry.WhoAmIAsync().GetAwaiter().GetResult();
            context.Info($"registry {registry.Url} accepts the credentials (user {user})");
        }
        catch (RegistryException e)
        {
            throw new PublishException($"preflight: {registry.Url} refused the credentials (NPM_TOKEN): {e.Message}; nothing was published");
        }

        var states = manifest.Packages.AsParallel().WithDegreeOfParallelism(MaxParallel)
            .Select(p => (Package: p, State: registry.VersionAsync(p.Name, p.Version).GetAwaiter().GetResult()))
            .ToList();
        if (states.Single(s => s.Package == Claim).State.Tags.TryGetValue(MovingTag, out var moving))
        {
            context.Warn($"{registry.Url}: a release of {moving} was moving {tag} and has not finished (a run was stopped, or is running now): " +
                $"{tag} may be mixed; " + (moving == Version ? "this run completes it" : $"run Publish of {moving} again to complete it"));
        }
        var conflicts = states.Where(s => s.State.Version.Exists && s.State.Version.Integrity != s.Package.Integrity).ToList();
        if (conflicts.Count > 0)
        {
            foreach (var (p, state) in conflicts)
            {
                context.Fail($"{p.Name}@{p.Version} is already published with integrity {state.Version.Integrity}; this release has {p.Integrity}");
                Report.Set(p.Name, PublishOutcome.Failed, "a different build of this version is already published");
            }
            throw new PublishException($"preflight: {conflicts.Count} version(s) already published with different bytes; versions are immutable, so bump the version" +
                (registryName == "local" ? " (or, for the local registry, which is only yours: ./build.sh --target=Registry --reset empties it)" : "") + ". Nothing was published");
        }
        var toPublish = new HashSet<ManifestPackage>();
        foreach (var (p, state) in states)
        {
            if (state.Version.Exists)
            {
                Report.Set(p.Name, PublishOutcome.Skipped, "already published with identical integrity");
                if (!dryRun && state.Version.Deprecated is { } message && message.StartsWith(FailedReleasePrefix, StringComparison.Ordinal))
                    registry.DeprecateAsync(p.Name, p.Version, "").GetAwaiter().GetResult();
            }
            else
            {
                toPublish.Add(p);
            }
        }
        context.Success($"preflight: {toPublish.Count} to publish, {states.Count - toPublish.Count} already published with identical bytes");
        return toPublish;
    }

    private void DryRun(HashSet<ManifestPackage> toPublish)
    {
        foreach (var p in manifest.Packages.OrderBy(p => p.Kind == ManifestPackage.WrapperKind))
        {
            if (!toPublish.Contains(p))
                continue;
            // What the registry would receive is read now, so a damaged tarball fails the dry run too.
            _ = TarballReader.ReadText(Path.Combine(releaseDir, p.Tarball), "package/package.json");
            Report.Set(p.Name, PublishOutcome.NotPublished, $"dry run: would publish {p.Tarball} under {RunTagPrefix}<run>, then tag {tag}");
        }
        context.Success($"dry run: {toPublish.Count} package(s) would be published (platform packages first, wrappers last), then tagged {tag}");
    }

    private void PublishAll(IReadOnlyList<ManifestPackage> packages)
    {
        var errors = new List<string>();
        Task.WhenAll(packages.Select(async p =>
        {
            await _gate.WaitAsync();
            try
            {
                FaultPoints.Hit($"publish.before:{p.Name}");
                await PublishOne(p);
            }
            catch (BuildFailedException e)
            {
                Report.Set(p.Name, PublishOutcome.Failed, e.Message);
                lock (errors)
                    errors.Add($"{p.Name}: {e.Message}");
            }
            finally
            {
                _gate.Release();
            }
        })).GetAwaiter().GetResult();
        if (errors.Count > 0)
            throw new PublishException(string.Join("; ", errors));
    }

    /// <summary>Publishes one package; true when this run wrote it, false when identical bytes from another run were there first.</summary>
    private async Task<bool> PublishOne(ManifestPackage p)
    {
        var tarball = Path.Combine(releaseDir, p.Tarball);
        var packageJson = TarballReader.ReadText(tarball, "package/package.json");
        try
        {
            await registry.PublishAsync(tarball, packageJson, p.Integrity, RunTag, "public");
            return Mine(p, $"under {RunTag}");
        }
        catch (RegistryException e) when (e.Status == 409 || e.OutcomeUnknown)
        {
            var (state, tags) = await Settle(p, conflict: e.Status == 409);
            if (state.Exists)
            {
                if (state.Integrity != p.Integrity)
                    throw new PublishException($"{p.Name}@{p.Version} appeared on the registry with integrity {state.Integrity}, not {p.Integrity}: another build of this version is being published");
                if (tags.TryGetValue(RunTag, out var v) && v == p.Version)
                {
                    context.Warn($"{p.Name}@{p.Version}: {e.Message}; the registry shows it published by this run");
                    return Mine(p, $"under {RunTag} (the registry committed it; its answer was lost)");
                }
                Report.Set(p.Name, PublishOutcome.Present, "identical bytes published by another run during this one");
                context.Info($"{p.Name}@{p.Version}: identical bytes were published by another run meanwhile");
                return false;
            }
            if (e.OutcomeUnknown)
                throw new PublishException($"{e.Message}; the registry does not list {p.Name}@{p.Version}, so it was not published");
            // A registry that died mid-upload can keep the tarball without the version in its
            // metadata: the upload "conflicts" with a version that does not exist. A package with
            // no versions at all holds nothing but that stray upload, so it is safe to clear.
            if (state.VersionCount > 0)
                throw new PublishException($"{p.Name}@{p.Version}: the registry holds a partial upload from an interrupted publish " +
                    $"(409 for a version its metadata does not list); remove it on the registry, then re-run");
            context.Warn($"{p.Name}: clearing a partial upload left by an interrupted publish, then publishing again");
            await registry.UnpublishAsync(p.Name, null);
            await registry.PublishAsync(tarball, packageJson, p.Integrity, RunTag, "public");
            return Mine(p, $"under {RunTag}");
        }
    }

    /// <summary>
    /// Reads name@version back after a request whose outcome is unknown. A 409 for a version the
    /// metadata does not list is also what a concurrent run's upload in flight looks like (the
    /// tarball is stored before the version), so it is read again for a while before it is taken
    /// for a partial upload.
    /// </summary>
    private async Task<(PublishedVersion Version, IReadOnlyDictionary<string, string> Tags)> Settle(ManifestPackage p, bool conflict)
    {
        var deadline = DateTime.UtcNow + (conflict ? TimeSpan.FromSeconds(5) : TimeSpan.Zero);
        while (true)
        {
            var state = await registry.VersionAsync(p.Name, p.Version);
            if (state.Version.Exists || DateTime.UtcNow >= deadline)
                return state;
            await Task.Delay(250);
        }
    }

    private bool Mine(ManifestPackage p, string detail)
    {
        lock (_ours)
            _ours.Add(p.Name);
        Report.Set(p.Name, PublishOutcome.Published, detail);
        context.Success($"published {p.Name}@{p.Version} ({RunTag})");
        return true;
    }

    /// <summary>Registry metadata, not a status code, decides: each name@version must be there with our integrity.</summary>
    private void Confirm(IEnumerable<ManifestPackage> packages)
    {
        var states = Task.WhenAll(packages.Select(async p => (p, (await registry.VersionAsync(p.Name, p.Version)).Version))).GetAwaiter().GetResult();
        foreach (var (p, version) in states)
        {
            if (!version.Exists)
                throw new PublishException($"{p.Name}@{p.Version} is not on {registry.Url} after publishing (another run may have rolled it back)");
            if (version.Integrity != p.Integrity)
                throw new PublishException($"{p.Name}@{p.Version} on {registry.Url} has integrity {version.Integrity}; the release has {p.Integrity}");
        }
    }

    /// <summary>
    /// Publishing the claim package's version decides which run holds the release. Already there
    /// at preflight, an earlier run holds it and this run completes that release (the documented
    /// repair); appearing during this run, a concurrent run holds it and this run stops.
    /// </summary>
    private void TakeClaim(HashSet<ManifestPackage> toPublish)
    {
        if (!toPublish.Contains(Claim))
        {
            context.Info($"{Claim.Name}@{Version} was published by an earlier run: this run completes that release");
            return;
        }
        FaultPoints.Hit($"publish.before:{Claim.Name}");
        bool mine;
        try
        {
            mine = PublishOne(Claim).GetAwaiter().GetResult();
        }
        catch (BuildFailedException e)
        {
            Report.Set(Claim.Name, PublishOutcome.Failed, e.Message);
            throw;
        }
        if (!mine)
        {
            throw new ReleaseTakenOverException(
                $"another run published {Claim.Name}@{Version} while this run was publishing, so that run holds release {Version}: " +
                $"this run stops and undoes nothing (what it published has the same bytes and is part of that release); " +
                $"run Publish again once that run has ended to check the result");
        }
        _holder = true;
    }

    /// <summary>A fresh install of the wrappers at the exact version, from the registry, must run the host binaries.</summary>
    private void InstallFromRegistry()
    {
        var targets = InstallRunCheck.Targets(context, manifest, "its install");
        // One npm install for every wrapper: npm resolves them together in one process.
        var problems = InstallRunCheck.Run(context, targets, targets.Select(t => $"{t.Wrapper.Name}@{t.Wrapper.Version}").Distinct().ToList(),
            new InstallRunCheck.Source(registry.Url, credentials.Path, 1, $"a fresh install from {registry.Url}"),
            (t, _, output) => $"fresh install of {t.Wrapper.Name}@{t.Wrapper.Version} runs: {output}");
        if (problems.Count > 0)
            throw new PublishException(string.Join("; ", problems));
    }

    /// <summary>
    /// Moves the public tag: first the marker on the claim package (btm-moving-&lt;tag&gt; → this
    /// version), then every platform package, then every wrapper. Before each write the marker must
    /// still name this version: a later release that set it owns the tag from then on.
    /// </summary>
    private void MoveTags()
    {
        try
        {
            MoveTagsUnderMarker();
        }
        catch (ReleaseTakenOverException)
        {
            Yield();
            throw;
        }
    }

    /// <summary>
    /// Another release holds the marker now. A tag this run moved that still points at this
    /// version may have landed after that release moved it: it goes to the version that release
    /// is moving to (the marker), or, when it has finished, to where it left the claim package.
    /// </summary>
    private void Yield()
    {
        try
        {
            var (_, claimTags) = registry.VersionAsync(Claim.Name, Version).GetAwaiter().GetResult();
            var marker = claimTags.GetValueOrDefault(MovingTag);
            var winner = marker is not null && marker != Version ? marker : claimTags.GetValueOrDefault(tag);
            if (winner is null || winner == Version)
                return;
            foreach (var (name, _) in _moved)
            {
                var (_, tags) = registry.VersionAsync(name, Version).GetAwaiter().GetResult();
                if (tags.GetValueOrDefault(tag) != Version)
                    continue;
                registry.SetDistTagAsync(name, tag, winner).GetAwaiter().GetResult();
                context.Warn($"{name}: {tag} moved back to {winner}, the release that holds {tag} now");
            }
        }
        catch (RegistryException e)
        {
            context.Warn($"could not hand {tag} back to the release that holds it ({e.Message}); its Publish or a re-run of it completes the move");
        }
    }

    private void MoveTagsUnderMarker()
    {
        PublishJournal.Write(context, registryName, Version, tag);
        SetTag(Claim.Name, MovingTag, Version).GetAwaiter().GetResult();
        _markerSet = true;
        foreach (var phase in new[] { Platforms.ToList(), Wrappers.ToList() })
        {
            foreach (var p in phase)
                FaultPoints.Hit($"publish.tag:{p.Name}");
            Task.WhenAll(phase.Select(async p =>
            {
                await CheckMarker();
                var (_, tags) = await registry.VersionAsync(p.Name, p.Version);
                var previous = tags.GetValueOrDefault(tag);
                if (previous == p.Version)
                    return;
                lock (_moved)
                    _moved.Add((p.Name, previous));
                await SetTag(p.Name, tag, p.Version);
                FaultPoints.Hit($"publish.tagged:{p.Name}");
                if (Report[p.Name] == PublishOutcome.Published)
                    Report.Set(p.Name, PublishOutcome.Published, $"tagged {tag}");
            })).GetAwaiter().GetResult();
        }
        // A release that lost the marker can still land one write it had in flight; the holder
        // puts such a tag back (it holds the marker, so the tag is its to move).
        for (var round = 1; ; round++)
        {
            var after = Task.WhenAll(manifest.Packages.Select(async p => (p, (await registry.VersionAsync(p.Name, p.Version)).Tags))).GetAwaiter().GetResult();
            var off = after.Where(x => x.Tags.GetValueOrDefault(tag) != x.p.Version).ToList();
            if (off.Count == 0)
                break;
            if (round == 3)
            {
                var (p, tags) = off[0];
                throw new PublishException($"{p.Name}: dist-tag {tag} is {tags.GetValueOrDefault(tag) ?? "unset"} after moving it to {p.Version}");
            }
            CheckMarker().GetAwaiter().GetResult();
            foreach (var (p, tags) in off)
            {
                context.Warn($"{p.Name}: {tag} moved to {tags.GetValueOrDefault(tag) ?? "nothing"} by a release that has since stopped; moving it to {p.Version} again");
                SetTag(p.Name, tag, p.Version).GetAwaiter().GetResult();
            }
        }
        CheckMarker().GetAwaiter().GetResult();
        context.Success($"dist-tag {tag} moved on all {manifest.Packages.Count} package(s), wrappers last: " +
            string.Join(", ", manifest.Packages.Where(p => p.Kind == ManifestPackage.WrapperKind).Select(p => $"{p.Name}@{p.Version}")));
    }

    /// <summary>Throws <see cref="ReleaseTakenOverException"/> when another release has set the marker since.</summary>
    private async Task CheckMarker()
    {
        var (_, tags) = await registry.VersionAsync(Claim.Name, Version);
        var marker = tags.GetValueOrDefault(MovingTag);
        if (marker == Version)
            return;
        // No marker and the claim package (moved last) already on this version: a concurrent run of
        // this same release finished the move and cleared the marker; the tag is where this run wants it.
        if (marker is null && tags.GetValueOrDefault(tag) == Version)
            return;
        throw new ReleaseTakenOverException(
            $"another release ({marker ?? "finished since"}) started moving {tag} while this run was moving it to {Version}: " +
            $"this run stops and leaves {tag} to it; {Version}'s packages stay published, complete, on the tags already moved");
    }

    /// <summary>Sets a dist-tag; an answer that never came is settled by reading the tag back.</summary>
    private async Task SetTag(string name, string distTag, string version)
    {
        try
        {
            await registry.SetDistTagAsync(name, distTag, version);
        }
        catch (RegistryException e) when (e.OutcomeUnknown)
        {
            var (_, tags) = await registry.VersionAsync(name, version);
            if (tags.GetValueOrDefault(distTag) != version)
                throw;
            context.Warn($"{name}: {e.Message}; the registry shows {distTag} on {version}");
        }
    }

    /// <summary>Removes a dist-tag only while it still points where this run expects.</summary>
    private async Task RemoveTagIf(string name, string distTag, string version)
    {
        var (_, tags) = await registry.VersionAsync(name, version);
        if (tags.GetValueOrDefault(distTag) == version)
            await registry.RemoveDistTagAsync(name, distTag);
    }

    /// <summary>Success: the marker goes, and so does every run tag on this version (this run's, and any a stopped run left).</summary>
    private void Tidy()
    {
        Task.WhenAll(manifest.Packages.Select(async p =>
        {
            try
            {
                if (_markerSet && p == Claim)
                    await RemoveTagIf(p.Name, MovingTag, Version);
                var (_, tags) = await registry.VersionAsync(p.Name, p.Version);
                foreach (var (name, value) in tags)
                {
                    if (name.StartsWith(RunTagPrefix, StringComparison.Ordinal) && value == p.Version)
                        await registry.RemoveDistTagAsync(p.Name, name);
                }
            }
            catch (RegistryException e)
            {
                context.Warn($"{p.Name}: could not remove this run's tags ({e.Message}); harmless");
            }
        })).GetAwaiter().GetResult();
    }

    /// <summary>
    /// Undo this run's writes. Tags go back only where they still point at this version. Packages:
    /// the claim holder removes everything of this version with these bytes; any other run removes
    /// only what it wrote, and nothing at all once another run holds the claim.
    /// </summary>
    private void Rollback(string reason)
    {
        foreach (var (name, previous) in Enumerable.Reverse(_moved))
        {
            try
            {
                var (_, tags) = registry.VersionAsync(name, Version).GetAwaiter().GetResult();
                var now = tags.GetValueOrDefault(tag);
                if (now != Version)
                {
                    context.Warn($"{name}: {tag} now points at {now ?? "nothing"}, not where this run put it; left alone");
                    continue;
                }
                if (previous is not null)
                    registry.SetDistTagAsync(name, tag, previous).GetAwaiter().GetResult();
                else
                    registry.RemoveDistTagAsync(name, tag).GetAwaiter().GetResult();
            }
            catch (RegistryException e)
            {
                context.Fail($"{name}: could not restore dist-tag {tag}: {e.Message}");
            }
        }
        if (_markerSet)
        {
            try
            {
                RemoveTagIf(Claim.Name, MovingTag, Version).GetAwaiter().GetResult();
            }
            catch (RegistryException e)
            {
                context.Warn($"{Claim.Name}: could not remove {MovingTag} ({e.Message})");
            }
        }

        List<ManifestPackage> undo;
        try
        {
            undo = RollbackSet();
        }
        catch (RegistryException e)
        {
            context.Fail($"rollback could not read the registry ({e.Message}); run Publish again to complete or --target=Verify --registry=<url> to check");
            return;
        }
        // Wrappers first: a wrapper never stays without its platform packages.
        foreach (var p in undo.OrderBy(p => p.Kind == ManifestPackage.PlatformKind))
            Undo(p, reason);
    }

    private List<ManifestPackage> RollbackSet()
    {
        var states = Task.WhenAll(manifest.Packages.Select(async p => (p, State: await registry.VersionAsync(p.Name, p.Version))))
            .GetAwaiter().GetResult();
        var claim = states.Single(s => s.p == Claim).State;
        var ours = states.Where(s => s.State.Version.Exists && s.State.Version.Integrity == s.p.Integrity);
        if (_holder)
            return ours.Select(s => s.p).ToList();
        var mine = ours.Where(s => _ours.Contains(s.p.Name)).Select(s => s.p).ToList();
        if (claim.Version.Exists)
        {
            // Another run (this one's predecessor, or one running now) holds the release these bytes belong to.
            foreach (var p in mine)
                Report.Set(p.Name, PublishOutcome.Published, $"left: part of release {Version}, which another run holds");
            if (mine.Count > 0)
                context.Warn($"{mine.Count} package(s) this run published stay: {Claim.Name}@{Version} is on the registry, so another run holds that release");
            return [];
        }
        return mine;
    }

    private void Undo(ManifestPackage p, string reason)
    {
        var who = _ours.Contains(p.Name) ? "" : " (identical bytes from an earlier run of this release)";
        try
        {
            registry.UnpublishAsync(p.Name, p.Version).GetAwaiter().GetResult();
            Report.Set(p.Name, PublishOutcome.RolledBack, "unpublished" + who);
            context.Warn($"rolled back {p.Name}@{p.Version} (unpublished){who}");
            return;
        }
        catch (RegistryException e)
        {
            context.Warn($"{p.Name}@{p.Version}: the registry refused to unpublish it ({e.Message}); deprecating");
        }
        try
        {
            registry.DeprecateAsync(p.Name, p.Version, $"{FailedReleasePrefix} {Version}: {reason}; do not use").GetAwaiter().GetResult();
            Report.Set(p.Name, PublishOutcome.Deprecated, "the registry refused to unpublish; deprecated");
        }
        catch (RegistryException e)
        {
            Report.Set(p.Name, PublishOutcome.Failed, $"published, and rollback failed: {e.Message}");
        }
    }

    private static string Message(Exception e) => e.Message.Split('\n')[0];
}

/// <summary>Another run holds this release, or a later release took over the tag: this run stops and undoes nothing.</summary>
public sealed class ReleaseTakenOverException(string message) : PublishException(message);
