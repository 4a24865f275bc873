using Btm.Build.Release;
using Btm.Cake.Logging;
using Btm.Core;
using Btm.Core.IO;
using Btm.Core.Release;

namespace Btm.Build.Publishing;

/// <summary>
/// All-or-nothing publishing of one release (docs/publishing.md): preflight before anything is
/// written, platform packages in parallel under a staging tag, the wrapper only once every
/// platform package is confirmed, the public tag moved last, and on any failure a rollback so that
/// nothing new is reachable through that tag.
/// </summary>
public sealed class Publisher(BuildContext context, string releaseDir, ReleaseManifest manifest, RegistryClient registry,
    NpmCredentials credentials, string tag, bool dryRun)
{
    public const string StagingTag = "btm-staging";

    // Each publish is an npm process that mostly waits on the network; beyond this, registries
    // throttle and a 2-core machine spends its time starting node.
    private const int MaxParallel = 6;

    public PublishReport Report { get; } = new();

    private readonly List<ManifestPackage> _publishedByUs = [];
    private readonly Dictionary<string, string?> _previousTag = new(StringComparer.Ordinal);
    private readonly List<string> _tagged = [];

    private IEnumerable<ManifestPackage> Platforms => manifest.Packages.Where(p => p.Kind == ManifestPackage.PlatformKind);
    private IEnumerable<ManifestPackage> Wrappers => manifest.Packages.Where(p => p.Kind == ManifestPackage.WrapperKind);

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
            PublishAll(Wrappers.Where(toPublish.Contains).ToList());
            Confirm(Wrappers);
            InstallFromRegistry();
            MoveTags();
        }
        catch (Exception e)
        {
            context.Fail($"publishing failed: {Message(e)}");
            Rollback(Message(e));
            if (e is not BuildFailedException)
                throw;
            throw new PublishException($"release {manifest.Version} was not published: {Message(e)}");
        }
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
        var conflicts = states.Where(s => s.State.Version.Exists && s.State.Version.Integrity != s.Package.Integrity).ToList();
        if (conflicts.Count > 0)
        {
            foreach (var (p, state) in conflicts)
            {
                context.Fail($"{p.Name}@{p.Version} is already published with integrity {state.Version.Integrity}; this release has {p.Integrity}");
                Report.Set(p.Name, PublishOutcome.Failed, "a different build of this version is already published");
            }
            throw new PublishException($"preflight: {conflicts.Count} version(s) already published with different bytes; versions are immutable, so bump the version. Nothing was published");
        }
        var toPublish = new HashSet<ManifestPackage>();
        foreach (var (p, state) in states)
        {
            _previousTag[p.Name] = state.Tags.TryGetValue(tag, out var previous) ? previous : null;
            if (state.Version.Exists)
            {
                Report.Set(p.Name, PublishOutcome.Skipped, "already published with identical integrity");
                if (state.Version.Deprecated is { } message && message.StartsWith(FailedReleasePrefix, StringComparison.Ordinal))
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
            Report.Set(p.Name, PublishOutcome.NotPublished, $"dry run: would publish {p.Tarball} under {StagingTag}, then tag {tag}");
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
                lock (_publishedByUs)
                    _publishedByUs.Add(p);
                Report.Set(p.Name, PublishOutcome.Published, $"under {StagingTag}");
                context.Success($"published {p.Name}@{p.Version} ({StagingTag})");
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

    private readonly SemaphoreSlim _gate = new(MaxParallel);

    private async Task PublishOne(ManifestPackage p)
    {
        var tarball = Path.Combine(releaseDir, p.Tarball);
        var packageJson = TarballReader.ReadText(tarball, "package/package.json");
        try
        {
            await registry.PublishAsync(tarball, packageJson, p.Integrity, StagingTag, "public");
        }
        catch (RegistryException e) when (e.Status == 409)
        {
            // A registry that died mid-upload can keep the tarball without the version in its
            // metadata: the upload "conflicts" with a version that does not exist. A package with
            // no versions at all holds nothing but that stray upload, so it is safe to clear.
            var (state, _) = await registry.VersionAsync(p.Name, p.Version);
            if (state.Exists)
            {
                if (state.Integrity != p.Integrity)
                    throw new PublishException($"{p.Name}@{p.Version} appeared on the registry with integrity {state.Integrity}, not {p.Integrity}");
                return;
            }
            if (state.VersionCount > 0)
                throw new PublishException($"{p.Name}@{p.Version}: the registry holds a partial upload from an interrupted publish " +
                    $"(409 for a version its metadata does not list); remove it on the registry, then re-run");
            context.Warn($"{p.Name}: clearing a partial upload left by an interrupted publish, then publishing again");
            await registry.UnpublishAsync(p.Name, null);
            await registry.PublishAsync(tarball, packageJson, p.Integrity, StagingTag, "public");
        }
    }

    /// <summary>Registry metadata, not npm's exit code, decides: each name@version must be there with our integrity.</summary>
    private void Confirm(IEnumerable<ManifestPackage> packages)
    {
        var states = Task.WhenAll(packages.Select(async p => (p, (await registry.VersionAsync(p.Name, p.Version)).Version))).GetAwaiter().GetResult();
        foreach (var (p, version) in states)
        {
            if (!version.Exists)
                throw new PublishException($"{p.Name}@{p.Version} is not on {registry.Url} after publishing");
            if (version.Integrity != p.Integrity)
                throw new PublishException($"{p.Name}@{p.Version} on {registry.Url} has integrity {version.Integrity}; the release has {p.Integrity}");
        }
    }

    /// <summary>A fresh install of the wrappers at the exact version, from the registry, must run the host binaries.</summary>
    private void InstallFromRegistry()
    {
        var targets = InstallRunCheck.Targets(context, manifest, "its install");
        // One npm install for every wrapper: npm resolves them together in one process.
        var problems = InstallRunCheck.Run(context, targets, targets.Select(t => $"{t.Wrapper.Name}@{t.Wrapper.Version}").Distinct().ToList(),
            manifest.Version, new InstallRunCheck.Source(registry.Url, credentials.Path, 1, $"a fresh install from {registry.Url}"),
            (t, _, output) => $"fresh install of {t.Wrapper.Name}@{t.Wrapper.Version} runs: {output}");
        if (problems.Count > 0)
            throw new PublishException(string.Join("; ", problems));
    }

    private void MoveTags()
    {
        // Within a phase the order does not matter; between phases it does: every platform
        // package carries the tag before any wrapper does.
        foreach (var phase in new[] { Platforms.ToList(), Wrappers.ToList() })
        {
            foreach (var p in phase)
                FaultPoints.Hit($"publish.tag:{p.Name}");
            Task.WhenAll(phase.Select(async p =>
            {
                await registry.SetDistTagAsync(p.Name, tag, p.Version);
                lock (_tagged)
                    _tagged.Add(p.Name);
                if (Report[p.Name] == PublishOutcome.Published)
                    Report.Set(p.Name, PublishOutcome.Published, $"tagged {tag}");
            })).GetAwaiter().GetResult();
        }
        var after = Task.WhenAll(manifest.Packages.Select(async p => (p, (await registry.VersionAsync(p.Name, p.Version)).Tags))).GetAwaiter().GetResult();
        foreach (var (p, tags) in after)
        {
            if (!tags.TryGetValue(tag, out var v) || v != p.Version)
                throw new PublishException($"{p.Name}: dist-tag {tag} is {(v ?? "unset")} after moving it to {p.Version}");
        }
        context.Success($"dist-tag {tag} now points at {manifest.Version} for all {manifest.Packages.Count} package(s), wrappers last");
    }

    private void Tidy()
    {
        Task.WhenAll(manifest.Packages.Select(async p =>
        {
            try
            {
                await registry.RemoveDistTagAsync(p.Name, StagingTag);
            }
            catch (RegistryException e)
            {
                context.Warn($"{p.Name}: could not remove the {StagingTag} tag ({e.Message}); harmless");
            }
        })).GetAwaiter().GetResult();
    }

    private const string FailedReleasePrefix = "failed release";

    /// <summary>
    /// Undo this run's writes: tags back where they were, then each package this run published
    /// unpublished, or deprecated where the registry refuses. Every step is attempted; each result
    /// lands in the report.
    /// </summary>
    private void Rollback(string reason)
    {
        foreach (var name in Enumerable.Reverse(_tagged))
        {
            try
            {
                if (_previousTag[name] is { } previous)
                    registry.SetDistTagAsync(name, tag, previous).GetAwaiter().GetResult();
                else
                    registry.RemoveDistTagAsync(name, tag).GetAwaiter().GetResult();
            }
            catch (RegistryException e)
            {
                context.Fail($"{name}: could not restore dist-tag {tag}: {e.Message}");
            }
        }
        foreach (var p in Enumerable.Reverse(_publishedByUs))
        {
            try
            {
                registry.UnpublishAsync(p.Name, p.Version).GetAwaiter().GetResult();
                Report.Set(p.Name, PublishOutcome.RolledBack, "unpublished");
                context.Warn($"rolled back {p.Name}@{p.Version} (unpublished)");
                continue;
            }
            catch (RegistryException e)
            {
                context.Warn($"{p.Name}@{p.Version}: the registry refused to unpublish it ({e.Message}); deprecating");
            }
            try
            {
                registry.DeprecateAsync(p.Name, p.Version, $"{FailedReleasePrefix} {manifest.Version}: {reason}; do not use").GetAwaiter().GetResult();
                Report.Set(p.Name, PublishOutcome.Deprecated, "the registry refused to unpublish; deprecated");
            }
            catch (RegistryException e)
            {
                Report.Set(p.Name, PublishOutcome.Failed, $"published, and rollback failed: {e.Message}");
            }
        }
    }

    private static string Message(Exception e) => e.Message.Split('\n')[0];
}
