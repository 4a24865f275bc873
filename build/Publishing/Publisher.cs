using Btm.Build.Pipeline;
using Btm.Cake.Logging;
using Btm.Cake.Npm;
using Btm.Cake.Tooling;
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
        catch (HttpRequestException e)
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
                    context.NpmDeprecate(new NpmSpecSettings { Name = p.Name, Version = p.Version, Argument = "", Registry = registry.Url, UserConfig = credentials.Path });
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
            context.NpmPublish(new NpmPublishSettings
            {
                Tarball = Path.Combine(releaseDir, p.Tarball), Tag = StagingTag, DryRun = true, Registry = registry.Url, UserConfig = credentials.Path,
            });
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
            catch (Exception e) when (e is HttpRequestException or PublishException)
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
        catch (RegistryRefusedException e) when (e.Status == 409)
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
            context.NpmUnpublish(new NpmSpecSettings { Name = p.Name, Version = null, Registry = registry.Url, UserConfig = credentials.Path });
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
        var host = context.Host.ToString();
        var checks = new List<(ManifestPackage Wrapper, string Binary)>();
        foreach (var wrapper in Wrappers)
        {
            var hostPackage = manifest.Packages.FirstOrDefault(p => p.Component == wrapper.Component && p.Platform == host);
            if (hostPackage is null)
            {
                context.Warn($"{wrapper.Name}: this release has no {host} package, so its install was not run here");
                continue;
            }
            checks.AddRange(hostPackage.Files.Where(f => f.Role == "release").Select(f => (wrapper, Path.GetFileNameWithoutExtension(f.Path))));
        }
        if (checks.Count == 0)
            return;
        // One npm install for every wrapper: npm resolves them together in one process.
        var project = Path.Combine(Path.GetTempPath(), "btm-publish-check-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(project);
        try
        {
            File.WriteAllText(Path.Combine(project, "package.json"), "{\"name\": \"btm-publish-check\", \"version\": \"0.0.0\", \"private\": true}\n");
            context.NpmInstall(new NpmInstallSettings
            {
                Prefix = project, Packages = checks.Select(c => $"{c.Wrapper.Name}@{c.Wrapper.Version}").Distinct().ToList(),
                Registry = registry.Url, UserConfig = credentials.Path,
            });
            foreach (var (wrapper, binary) in checks)
            {
                var shim = Path.Combine(project, "node_modules", ".bin", OperatingSystem.IsWindows() ? binary + ".cmd" : binary);
                var (exit, output) = ToolProbe.Run(shim, "--version");
                if (exit != 0 || !output.Contains(manifest.Version, StringComparison.Ordinal))
                    throw new PublishException($"a fresh `npm install {wrapper.Name}@{wrapper.Version}` from {registry.Url} does not run: `{binary} --version` exited {exit} printing '{output.Trim()}'");
                context.Success($"fresh install of {wrapper.Name}@{wrapper.Version} runs: {output.Trim()}");
            }
        }
        finally
        {
            Directory.Delete(project, recursive: true);
        }
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
            catch (HttpRequestException e)
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
            catch (HttpRequestException e)
            {
                context.Fail($"{name}: could not restore dist-tag {tag}: {e.Message}");
            }
        }
        foreach (var p in Enumerable.Reverse(_publishedByUs))
        {
            var spec = new NpmSpecSettings { Name = p.Name, Version = p.Version, Registry = registry.Url, UserConfig = credentials.Path };
            try
            {
                context.NpmUnpublish(spec);
                Report.Set(p.Name, PublishOutcome.RolledBack, "unpublished");
                context.Warn($"rolled back {p.Name}@{p.Version} (unpublished)");
                continue;
            }
            catch (ToolFailedException e)
            {
                context.Warn($"{p.Name}@{p.Version}: the registry refused to unpublish it ({RegistryError(e)}); deprecating");
            }
            try
            {
                context.NpmDeprecate(new NpmSpecSettings
                {
                    Name = p.Name, Version = p.Version, Registry = registry.Url, UserConfig = credentials.Path,
                    Argument = $"{FailedReleasePrefix} {manifest.Version}: {reason}; do not use",
                });
                Report.Set(p.Name, PublishOutcome.Deprecated, "the registry refused to unpublish; deprecated");
            }
            catch (ToolFailedException e)
            {
                Report.Set(p.Name, PublishOutcome.Failed, $"published, and rollback failed: {RegistryError(e)}");
            }
        }
    }

    private static string RegistryError(ToolFailedException e) =>
        e.Tail.Where(l => l.StartsWith("npm error", StringComparison.Ordinal) && !l.Contains("A complete log", StringComparison.Ordinal))
            .Select(l => l["npm error".Length..].Trim()).Where(l => l.Length > 0).Take(2) is var lines && lines.Any()
            ? string.Join(" / ", lines)
            : $"npm exited {e.ExitCode}";

    private static string Message(Exception e) => e is ToolFailedException t ? RegistryError(t) : e.Message.Split('\n')[0];
}
