using Btm.Build.Release;
using Btm.Cake.Logging;
using Btm.Core;
using Btm.Core.IO;
using Btm.Core.Release;

namespace Btm.Build.Publishing;

/// <summary>
/// Puts packages on the registry under this run's tag. A request whose outcome is unknown, or a
/// 409, is settled by reading the registry back; registry metadata, not a status code, confirms.
/// </summary>
public static class Uploads
{
    public static async Task PublishAllAsync(PublishRun run, IReadOnlyList<ManifestPackage> packages)
    {
        var errors = new List<string>();
        await run.ForEachAsync(packages, async p =>
        {
            try
            {
                FaultPoints.Hit($"publish.before:{p.Name}");
                await PublishOneAsync(run, p);
            }
            catch (BuildFailedException e)
            {
                run.Report.Set(p.Name, PublishOutcome.Failed, e.Message);
                lock (errors)
                    errors.Add($"{p.Name}: {e.Message}");
            }
        });
        if (errors.Count > 0)
            throw new PublishException(string.Join("; ", errors));
    }

    /// <summary>
    /// How many times an upload the registry never got is sent again, as npm does (its
    /// fetch-retries, 2): a connection that dies before the answer, or a 5xx, with the version
    /// not listed afterwards. Seen on a busy machine: verdaccio dropped one 60 MB upload of forty.
    /// </summary>
    private const int Resends = 2;

    /// <summary>Publishes one package; true when this run wrote it, false when identical bytes from another run were there first.</summary>
    public static async Task<bool> PublishOneAsync(PublishRun run, ManifestPackage p)
    {
        var registry = run.Registry;
        var tarball = Path.Combine(run.ReleaseDir, p.Tarball);
        var packageJson = TarballReader.ReadText(tarball, "package/package.json");
        for (var sent = 1; ; sent++)
        {
            RegistryException e;
            try
            {
                await registry.PublishAsync(tarball, packageJson, p.Integrity, run.RunTag, "public");
                return Mine(run, p, $"under {run.RunTag}");
            }
            catch (RegistryException failure) when (failure.Status == 409 || failure.OutcomeUnknown)
            {
                e = failure;
            }
            var (state, tags) = await SettleAsync(run, p, conflict: e.Status == 409);
            if (state.Exists)
            {
                if (state.Integrity != p.Integrity)
                    throw new PublishException($"{p.Name}@{p.Version} appeared on the registry with integrity {state.Integrity}, not {p.Integrity}: another build of this version is being published");
                if (tags.TryGetValue(run.RunTag, out var v) && v == p.Version)
                {
                    run.Context.Warn($"{p.Name}@{p.Version}: {e.Message}; the registry shows it published by this run");
                    return Mine(run, p, $"under {run.RunTag} (the registry committed it; its answer was lost)");
                }
                run.Report.Set(p.Name, PublishOutcome.Present, "identical bytes published by another run during this one");
                run.Context.Info($"{p.Name}@{p.Version}: identical bytes were published by another run meanwhile");
                return false;
            }
            if (e.OutcomeUnknown && sent <= Resends)
            {
                run.Context.Warn($"{p.Name}@{p.Version}: {e.Message}; the registry does not list it, so it is sent again ({sent} of {Resends})");
                await Task.Delay(TimeSpan.FromSeconds(sent));
                continue;
            }
            if (e.OutcomeUnknown)
                throw new PublishException($"{e.Message}; the registry does not list {p.Name}@{p.Version} after {sent} upload(s), so it was not published");
            // A registry that died mid-upload can keep the tarball without the version in its
            // metadata: the upload "conflicts" with a version that does not exist. A package with
            // no versions at all holds nothing but that stray upload, so it is safe to clear.
            if (state.VersionCount > 0)
                throw new PublishException($"{p.Name}@{p.Version}: the registry holds a partial upload from an interrupted publish " +
                    $"(409 for a version its metadata does not list); remove it on the registry, then re-run");
            run.Context.Warn($"{p.Name}: clearing a partial upload left by an interrupted publish, then publishing again");
            await registry.UnpublishAsync(p.Name, null);
            await registry.PublishAsync(tarball, packageJson, p.Integrity, run.RunTag, "public");
            return Mine(run, p, $"under {run.RunTag}");
        }
    }

    /// <summary>Each name@version must be on the registry with the release's integrity.</summary>
    public static async Task ConfirmAsync(PublishRun run, IEnumerable<ManifestPackage> packages)
    {
        var states = await run.ForEachAsync(packages, async p => (p, (await run.Registry.VersionAsync(p.Name, p.Version)).Version));
        foreach (var (p, version) in states)
        {
            if (!version.Exists)
                throw new PublishException($"{p.Name}@{p.Version} is not on {run.Registry.Url} after publishing (another run may have rolled it back)");
            if (version.Integrity != p.Integrity)
                throw new PublishException($"{p.Name}@{p.Version} on {run.Registry.Url} has integrity {version.Integrity}; the release has {p.Integrity}");
        }
    }

    /// <summary>A fresh install of the wrappers at the exact version, from the registry, must run the host binaries.</summary>
    public static void InstallFromRegistry(PublishRun run)
    {
        var targets = InstallRunCheck.Targets(run.Context, run.Manifest, "its install");
        // One npm install for every wrapper: npm resolves them together in one process.
        var problems = InstallRunCheck.Run(run.Context, targets, targets.Select(t => $"{t.Wrapper.Name}@{t.Wrapper.Version}").Distinct().ToList(),
            new InstallRunCheck.Source(run.Registry.Url, run.Credentials.Path, 1, $"a fresh install from {run.Registry.Url}"),
            (t, _, output) => $"fresh install of {t.Wrapper.Name}@{t.Wrapper.Version} runs: {output}");
        if (problems.Count > 0)
            throw new PublishException(string.Join("; ", problems));
    }

    /// <summary>
    /// Reads name@version back after a request whose outcome is unknown. A 409 for a version the
    /// metadata does not list is also what a concurrent run's upload in flight looks like (the
    /// tarball is stored before the version), so it is read again for a while before it is taken
    /// for a partial upload.
    /// </summary>
    private static async Task<(PublishedVersion Version, IReadOnlyDictionary<string, string> Tags)> SettleAsync(PublishRun run, ManifestPackage p, bool conflict)
    {
        var deadline = DateTime.UtcNow + (conflict ? TimeSpan.FromSeconds(5) : TimeSpan.Zero);
        while (true)
        {
            var state = await run.Registry.VersionAsync(p.Name, p.Version);
            if (state.Version.Exists || DateTime.UtcNow >= deadline)
                return state;
            await Task.Delay(250);
        }
    }

    private static bool Mine(PublishRun run, ManifestPackage p, string detail)
    {
        lock (run.Ours)
            run.Ours.Add(p.Name);
        run.Report.Set(p.Name, PublishOutcome.Published, detail);
        run.Context.Success($"published {p.Name}@{p.Version} ({run.RunTag})");
        return true;
    }
}
