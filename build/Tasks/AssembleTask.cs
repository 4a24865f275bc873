using Btm.Build.Host;
using Btm.Build.Release;
using Btm.Cake.Logging;
using Btm.Core;
using Btm.Core.IO;
using Btm.Core.Platforms;
using Btm.Core.Release;

namespace Btm.Build.Tasks;

/// <summary>
/// Merges the Package folders of CI legs (each built some platforms) into one release: every
/// platform tarball as the leg packed it, wrappers regenerated for the platforms actually present,
/// one manifest, SHA256SUMS and the signature. What it writes is what Verify and Publish take.
/// </summary>
[TaskName("Assemble")]
[TaskDescription("Merges CI legs' Package folders (--legs=<dirs>) into one signed release in artifacts/<version>/")]
public sealed class AssembleTask : BtmTask
{
    private sealed record Leg(string Name, string Dir, ReleaseManifest Manifest);

    public override void Run(BuildContext context)
    {
        if (context.Options.Legs.Count == 0)
            throw new UsageException("Assemble needs the legs' folders: --legs=<dir>[,<dir>…] (each a Package output, or a folder holding them)");
        var legs = ReadLegs(context);
        CheckAgreement(context, legs);
        var platforms = PlatformPackages(legs);

        var settings = context.Settings;
        var (key, localKey) = ReleaseFolder.SigningKeyFor(context);
        var temp = ReleaseFolder.Begin(context);
        var stage = Path.Combine(temp, ".stage");
        try
        {
            var packages = new List<ManifestPackage>();
            foreach (var (package, leg) in platforms)
            {
                File.Copy(Path.Combine(leg.Dir, package.Tarball), Path.Combine(temp, package.Tarball));
                packages.Add(package);
            }
            var partial = ReleaseCompleteness.Check(context, platforms.Where(p => context.Graph.Contains(p.Package.Component))
                .Select(p => (context.Graph[p.Package.Component], PlatformId.Parse(p.Package.Platform!))));
            foreach (var component in platforms.GroupBy(p => p.Package.Component).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                if (!context.Graph.Contains(component.Key))
                    throw new BuildFailedException($"leg {component.First().Leg.Name}: ships {component.Key}, which this checkout's packages/ does not have; " +
                        "run Assemble in a checkout of the legs' commit");
                var manifest = context.Graph[component.Key];
                var name = NpmNames.Wrapper(settings, manifest);
                var dir = Path.Combine(stage, NpmNames.Flat(name));
                var legal = LegalFilesOf(component.Select(c => c.Leg).Distinct(), component.Key, Path.Combine(stage, "legal-" + NpmNames.Flat(name)));
                var present = component.Select(c => PlatformId.Parse(c.Package.Platform!)).ToList();
                PackageStager.StageWrapper(context, manifest, present, dir, legal);
                packages.Add(ReleaseFolder.Pack(context, dir, temp, name, component.Key, null));
                context.Info($"{name}: wrapper for {string.Join(", ", present.Select(p => p.ToString()).Order(StringComparer.Ordinal))}");
            }
            Directory.Delete(stage, recursive: true);

            // A .NET package is the same from any leg of one commit; the first leg that packed it gives it.
            var nuget = new List<ManifestNuget>();
            foreach (var (leg, package) in legs.SelectMany(l => l.Manifest.Nuget.Select(n => (l, n))).DistinctBy(x => x.n.Id))
            {
                File.Copy(Path.Combine(leg.Dir, package.File), Path.Combine(temp, package.File));
                nuget.Add(package);
            }

            // Per-target installers as each leg made them (its hashes were checked); formulas and
            // Scoop manifests are made again from all legs' archives.
            var installers = new List<ManifestInstaller>();
            var installersDir = Path.Combine(temp, ManifestInstaller.Folder);
            foreach (var (leg, installer) in legs.SelectMany(l => l.Manifest.Installers.Where(i => i.Platform is not null).Select(i => (l, i))).DistinctBy(x => x.i.File))
            {
                Directory.CreateDirectory(installersDir);
                File.Copy(Path.Combine(leg.Dir, installer.File), Path.Combine(temp, installer.File));
                installers.Add(installer);
            }
            installers.AddRange(Btm.Build.Release.Installers.Installers.MakePerPackage(context,
                installers.Select(i => i.Component).Distinct().Where(context.Graph.Contains).Select(c => context.Graph[c]), installers, installersDir,
                package =>
                {
                    var (leg, platform) = legs.SelectMany(l => l.Manifest.Packages.Select(p => (l, p))).First(x => x.p.Component == package.Name && x.p.Platform is not null);
                    return TarballLicense(Path.Combine(leg.Dir, platform.Tarball));
                }));
            var authenticode = AuthenticodeOf(context, legs, temp);

            var first = legs[0].Manifest;
            var toolchains = legs.SelectMany(l => l.Manifest.Toolchains).GroupBy(t => t.Platform).Select(g => g.First())
                .OrderBy(t => t.Platform, StringComparer.Ordinal).ToList();
            var merged = new ReleaseManifest(first.Version, first.Scope, first.Commit, legs.Any(l => l.Manifest.Dirty), first.BuildTime, first.BuildTimeSource,
                toolchains, key is not null, key?.PublicKeyHex, packages) { Partial = partial, Nuget = nuget, Installers = installers, Authenticode = authenticode };
            ReleaseFolder.Complete(context, temp, merged, key, localKey);
        }
        finally
        {
            ReleaseFolder.Abandon(temp);
        }
        context.Success($"{Path.GetRelativePath(context.RepoRoot, ReleasePaths.ReleaseDir(context))}: {platforms.Count} platform package(s) from " +
            $"{legs.Count} leg(s) ({string.Join(", ", legs.Select(l => l.Name))}), {platforms.Select(p => p.Package.Component).Distinct().Count()} wrapper(s), manifest.json, SHA256SUMS");
    }

    /// <summary>The license field a leg's platform package states (what the formula and Scoop manifest say too).</summary>
    private static string TarballLicense(string tarball)
    {
        using var json = System.Text.Json.JsonDocument.Parse(TarballReader.ReadText(tarball, "package/package.json"));
        return json.RootElement.TryGetProperty("license", out var license) && license.GetString() is { Length: > 0 } text ? text : "UNLICENSED";
    }

    /// <summary>
    /// The signer of the legs' win32 files: every leg that signed must have used one certificate
    /// (one release, one publisher); its certificate file is carried over.
    /// </summary>
    private static ManifestAuthenticode? AuthenticodeOf(BuildContext context, List<Leg> legs, string temp)
    {
        var signed = legs.Where(l => l.Manifest.Authenticode is not null).ToList();
        if (signed.Count == 0)
            return null;
        var first = signed[0];
        foreach (var leg in signed.Skip(1).Where(l => l.Manifest.Authenticode!.Sha256 != first.Manifest.Authenticode!.Sha256))
            throw new BuildFailedException($"leg {leg.Name} signed its win32 files as {leg.Manifest.Authenticode!.Subject}, leg {first.Name} as {first.Manifest.Authenticode!.Subject} " +
                "(different certificates): give every leg the same --authenticode-cert");
        var a = first.Manifest.Authenticode!;
        File.Copy(Path.Combine(first.Dir, a.Certificates), Path.Combine(temp, a.Certificates));
        return a;
    }

    /// <summary>Each --legs folder, or the Package folders one level inside it; each checked against its own manifest.</summary>
    private static List<Leg> ReadLegs(BuildContext context)
    {
        var dirs = new List<string>();
        foreach (var given in context.Options.Legs)
        {
            var dir = Path.GetFullPath(given, context.RepoRoot);
            if (!Directory.Exists(dir))
                throw new BuildFailedException($"--legs: {given} does not exist; give the folders the legs' Package tasks wrote (artifacts/<version>/)");
            if (File.Exists(Path.Combine(dir, ReleaseManifest.FileName)))
            {
                dirs.Add(dir);
                continue;
            }
            // actions/download-artifact gives legs/<artifact>/<version>/: look two levels down.
            var inner = Directory.GetDirectories(dir).SelectMany(d => Directory.GetDirectories(d).Prepend(d))
                .Where(d => File.Exists(Path.Combine(d, ReleaseManifest.FileName))).Order(StringComparer.Ordinal).ToList();
            if (inner.Count == 0)
                throw new BuildFailedException($"--legs: {given} holds no {ReleaseManifest.FileName}, and neither do the folders one or two levels inside it; give the legs' Package folders");
            dirs.AddRange(inner);
        }
        var legs = new List<Leg>();
        var problems = new List<string>();
        foreach (var dir in dirs.Distinct())
        {
            var name = Path.GetRelativePath(context.RepoRoot, dir);
            // A leg's own signature (if any) is not the release's: its bytes are checked, the release is signed here.
            var report = ReleaseVerifier.Verify(dir, [], requireSignature: false);
            problems.AddRange(report.Problems.Select(p => $"leg {name}: {p}"));
            if (report.Manifest is { } manifest)
                legs.Add(new Leg(name, dir, manifest));
        }
        if (problems.Count > 0)
            throw new BuildFailedException($"{problems.Count} problem(s) in the legs; nothing was assembled:\n  " + string.Join("\n  ", problems));
        return legs;
    }

    /// <summary>One commit, one version, one scope, and this checkout's: otherwise the release would mix builds.</summary>
    private static void CheckAgreement(BuildContext context, List<Leg> legs)
    {
        var first = legs[0];
        foreach (var leg in legs.Skip(1))
        {
            void Same(string what, string? a, string? b)
            {
                if (a != b)
                    throw new BuildFailedException($"leg {leg.Name} has {what} {b ?? "(none)"}, leg {first.Name} has {a ?? "(none)"}: " +
                        "legs of one release come from one run of the release workflow; run them again from one tag");
            }
            Same("commit", first.Manifest.Commit, leg.Manifest.Commit);
            Same("version", first.Manifest.Version, leg.Manifest.Version);
            Same("scope", first.Manifest.Scope, leg.Manifest.Scope);
        }
        if (first.Manifest.Version != context.Settings.Version || first.Manifest.Scope != context.Settings.Scope)
            throw new BuildFailedException($"the legs are {first.Manifest.Scope} {first.Manifest.Version}, cake.config here says {context.Settings.Scope} {context.Settings.Version}: " +
                "run Assemble in a checkout of the legs' commit");
        // A tag-driven release must ship the version the tag names.
        if (context.Environment.GetEnvironmentVariable("GITHUB_REF_TYPE") == "tag"
            && context.Environment.GetEnvironmentVariable("GITHUB_REF_NAME") is { } tag && tag != "v" + first.Manifest.Version)
            throw new BuildFailedException($"the tag {tag} does not name the version the legs built ({first.Manifest.Version}, from cake.config): " +
                $"tag the commit v{first.Manifest.Version}, or set Version= in cake.config to match the tag and tag again");
        var here = SourceRevision.Read(context.RepoRoot, context.ToolLookup);
        if (first.Manifest.Commit is { } commit && here.Commit is { } head && commit != head)
            throw new BuildFailedException($"the legs were built from {commit[..12]}, this checkout is {head[..12]}: the wrappers are made from this checkout's btm.json, " +
                "so check out the legs' commit first");
        foreach (var leg in legs.Where(l => l.Manifest.Dirty))
            context.Warn($"leg {leg.Name} was built from a tree with uncommitted changes: the release says dirty");
    }

    /// <summary>Every platform package of every leg, once: a platform built by two legs is a matrix mistake.</summary>
    private static List<(ManifestPackage Package, Leg Leg)> PlatformPackages(List<Leg> legs)
    {
        var seen = new Dictionary<string, Leg>(StringComparer.Ordinal);
        var result = new List<(ManifestPackage, Leg)>();
        foreach (var leg in legs)
        {
            foreach (var package in leg.Manifest.Packages.Where(p => p.Kind == ManifestPackage.PlatformKind))
            {
                if (seen.TryGetValue(package.Name, out var other))
                    throw new BuildFailedException($"{package.Name} ({package.Platform}) is in leg {other.Name} and in leg {leg.Name}: " +
                        "each platform belongs to one leg; fix the matrix's --platform lists");
                seen[package.Name] = leg;
                result.Add((package, leg));
            }
        }
        if (result.Count == 0)
            throw new BuildFailedException("the legs hold no platform package: run --target=Package in each leg");
        return result;
    }

    /// <summary>The LICENSE/COPYING/NOTICE files of a leg's wrapper for the component, extracted into <paramref name="into"/>.</summary>
    private static string LegalFilesOf(IEnumerable<Leg> legs, string component, string into)
    {
        Directory.CreateDirectory(into);
        foreach (var leg in legs)
        {
            if (leg.Manifest.Packages.FirstOrDefault(p => p.Kind == ManifestPackage.WrapperKind && p.Component == component) is not { } wrapper)
                continue;
            var extracted = into + "-x";
            SafeArchive.Extract(Path.Combine(leg.Dir, wrapper.Tarball), Path.GetFileName(wrapper.Tarball), extracted, 1);
            foreach (var file in Directory.EnumerateFiles(extracted).Where(f => Pipeline.UnitOutputs.IsLegal(Path.GetFileName(f))))
                File.Copy(file, Path.Combine(into, Path.GetFileName(file)), overwrite: true);
            Directory.Delete(extracted, recursive: true);
            break;
        }
        return into;
    }
}
