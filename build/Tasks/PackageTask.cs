using Btm.Build.Host;
using Btm.Build.Pipeline;
using Btm.Build.Release;
using Btm.Cake.Logging;
using Btm.Cake.Npm;
using Btm.Core;
using Btm.Core.IO;
using Btm.Core.Platforms;
using Btm.Core.Release;

namespace Btm.Build.Tasks;

[TaskName("Package")]
[TaskDescription("Packs a platform npm package per package and target plus a wrapper, with a signed SHA-256 manifest, into artifacts/<version>/")]
[IsDependentOn(typeof(BuildTask))]
public sealed class PackageTask : UnitTask
{
    public override RunDecision ShouldRun(BuildContext context) =>
        Shipped(context).Any() ? RunDecision.Run : RunDecision.Skip("no selected package is published (\"publish\": false)");

    private static IEnumerable<BuildUnit> Shipped(BuildContext context) => context.Units.Where(u => u.Package.Publish);

    public override void Run(BuildContext context)
    {
        var units = Shipped(context).ToList();
        if (context.ToolLookup.Find("npm") is null)
            throw new BuildFailedException("npm is needed to pack: install Node.js 18+ (apt-get install nodejs npm, brew install node)");
        var settings = context.Settings;
        var key = SigningKey.Load(context);
        var localKey = false;
        if (key is null && SigningKey.IsLocalRelease(context))
        {
            var existed = SigningKey.Local(context, create: false) is not null;
            key = SigningKey.Local(context, create: true);
            localKey = true;
            context.Info($"{(existed ? "using" : "created")} the local signing key {SigningKey.LocalKeyPath}: Publish trusts it for the local registry only " +
                "(a real registry needs --signing-key or BTM_SIGNING_KEY with a key in TrustedKeys)");
        }
        else if (key is null && !context.Options.AllowUnsigned && context.Options.Registry != "local"
                 && string.Equals(context.Options.Target, "Release", StringComparison.OrdinalIgnoreCase))
        {
            throw new BuildFailedException($"Release to {context.Options.Registry} needs a signed manifest and there is no signing key: " +
                "pass --signing-key=<file> or BTM_SIGNING_KEY (make one with --target=KeyGen), or --allow-unsigned; nothing was packed or published");
        }
        var releaseDir = ReleasePaths.ReleaseDir(context);
        Directory.CreateDirectory(Path.GetDirectoryName(releaseDir)!);
        AtomicFile.RemoveLeftovers(Path.GetDirectoryName(releaseDir)!);
        // Everything is made in a temp folder and renamed into place at the end, so a failed run
        // never leaves a release folder that looks complete.
        var temp = AtomicFile.TempPathFor(releaseDir);
        var stage = Path.Combine(temp, ".stage");
        var npmDir = Path.Combine(temp, "npm");
        Directory.CreateDirectory(npmDir);
        try
        {
            var packages = new List<ManifestPackage>();
            foreach (var unit in units)
            {
                var name = NpmNames.Platform(settings, unit.Package, unit.Platform);
                var dir = Path.Combine(stage, NpmNames.Flat(name));
                PackageStager.StagePlatform(context, unit, dir);
                packages.Add(Pack(context, dir, npmDir, name, unit.Package.Name, unit.Platform));
            }
            foreach (var group in units.GroupBy(u => u.Package.Name))
            {
                var package = group.First().Package;
                var name = NpmNames.Wrapper(settings, package);
                var dir = Path.Combine(stage, NpmNames.Flat(name));
                PackageStager.StageWrapper(context, package, group.Select(u => u.Platform).ToList(), dir, group.First());
                packages.Add(Pack(context, dir, npmDir, name, package.Name, null));
            }
            Directory.Delete(stage, recursive: true);

            var source = SourceRevision.Read(context.RepoRoot, context.ToolLookup);
            if (source.Dirty)
                context.Warn(source.Commit is null ? "not a git checkout: the manifest records no commit" : "the git tree has uncommitted changes: the manifest says dirty");
            var manifest = new ReleaseManifest(settings.Version, settings.Scope, source.Commit, source.Dirty, source.BuildTime, source.TimeSource,
                Toolchains(units), key is not null, key?.PublicKeyHex, packages);
            var manifestBytes = ReleaseManifestSerializer.Serialize(manifest);
            AtomicFile.WriteAllBytes(Path.Combine(temp, ReleaseManifest.FileName), manifestBytes);
            if (key is not null)
            {
                AtomicFile.WriteAllBytes(Path.Combine(temp, ReleaseManifest.SignatureFileName), Ed25519Keys.Sign(key.PrivateSeed, manifestBytes));
                context.Success($"signed manifest.json with {(localKey ? "the local key " : "")}{key.PublicKeyHex}");
            }
            else
            {
                context.Warn("no signing key (--signing-key or BTM_SIGNING_KEY): manifest.json is unsigned. " + (context.Options.AllowUnsigned
                    ? "--allow-unsigned lets Verify and Publish accept it"
                    : "Verify accepts it only while cake.config lists no TrustedKeys, Publish only to the local registry; a real registry refuses it without --allow-unsigned"));
            }
            var sums = packages.Select(p => (p.Tarball, p.Sha256)).Append((ReleaseManifest.FileName, Sha256.Hex(System.Security.Cryptography.SHA256.HashData(manifestBytes))));
            AtomicFile.WriteAllBytes(Path.Combine(temp, ReleaseManifest.SumsFileName), System.Text.Encoding.UTF8.GetBytes(Sha256Sums.Render(sums)));

            if (Directory.Exists(releaseDir))
            {
                // The template package (Templates task) lives beside the npm release; keep it.
                foreach (var nupkg in Directory.GetFiles(releaseDir, "*.nupkg"))
                    File.Move(nupkg, Path.Combine(temp, Path.GetFileName(nupkg)));
                Directory.Delete(releaseDir, recursive: true);
            }
            Directory.Move(temp, releaseDir);
        }
        finally
        {
            if (Directory.Exists(temp))
                Directory.Delete(temp, recursive: true);
        }
        context.Success($"{Path.GetRelativePath(context.RepoRoot, releaseDir)}: {units.Count} platform package(s), " +
            $"{units.Select(u => u.Package.Name).Distinct().Count()} wrapper(s), manifest.json, SHA256SUMS");
    }

    private static ManifestPackage Pack(BuildContext context, string dir, string npmDir, string name, string component, PlatformId? platform)
    {
        var file = context.NpmPack(new NpmPackSettings { Source = dir, Destination = npmDir });
        var tarball = Path.Combine(npmDir, file);
        var files = TarballReader.Read(tarball)
            .Select(e => new ManifestFile(e.Path, e.Size, e.Mode, e.Sha256, Role(e.Path, platform is null)))
            .ToList();
        context.Info($"packed {name} -> npm/{file}");
        var digest = TarballDigest.Of(tarball);
        return new ManifestPackage(name, component, platform is null ? ManifestPackage.WrapperKind : ManifestPackage.PlatformKind,
            context.VersionOf(context.Graph[component]), platform?.ToString(), platform?.Os, platform?.Cpu, platform?.Libc,
            $"npm/{file}", digest.Size, digest.Sha256, digest.Integrity, files);
    }

    private static string Role(string path, bool wrapper) => path switch
    {
        _ when wrapper && (path.StartsWith("package/bin/", StringComparison.Ordinal) || path.StartsWith("package/lib/", StringComparison.Ordinal)) => "launcher",
        _ when path.StartsWith("package/bin/", StringComparison.Ordinal) => "release",
        _ when path.StartsWith("package/debug/", StringComparison.Ordinal) => "debug",
        _ => "metadata",
    };

    private static List<ManifestToolchain> Toolchains(IEnumerable<BuildUnit> units) =>
        units.GroupBy(u => u.Platform.ToString()).Select(g => new ManifestToolchain(g.Key, g.First().Identity.Compiler.Summary,
            string.Join("; ", g.Select(u => u.Identity.Builder.Summary).Distinct().Order()))).ToList();
}
