using Btm.Build.Host;
using Btm.Build.Pipeline;
using Btm.Build.Release;
using Btm.Build.Release.Installers;
using Btm.Cake.Logging;
using Btm.Core;
using Btm.Core.Checkpoints;
using Btm.Core.IO;
using Btm.Core.Release;

namespace Btm.Build.Tasks;

[TaskName("Package")]
[TaskDescription("Packs a platform npm package per package and target plus a wrapper, the btm tool and template .nupkgs, with a signed SHA-256 manifest, into artifacts/<version>/")]
[IsDependentOn(typeof(BuildTask))]
public sealed class PackageTask : UnitTask
{
    public override RunDecision ShouldRun(BuildContext context) =>
        Shipped(context).Any() ? RunDecision.Run : RunDecision.Skip("no selected package is published (\"publish\": false)");

    private static IEnumerable<BuildUnit> Shipped(BuildContext context) => context.Units.Where(u => u.Package.Publish);

    public override void Run(BuildContext context)
    {
        var units = Shipped(context).ToList();
        var settings = context.Settings;
        var partial = ReleaseCompleteness.Check(context, units.Select(u => (u.Package, u.Platform)));
        var (key, localKey) = ReleaseFolder.SigningKeyFor(context);
        IReadOnlyList<ManifestNuget> nuget = [];
        List<ManifestInstaller> made = [];
        var source = SourceRevision.Read(context.RepoRoot, context.ToolLookup);
        var authenticode = Authenticode.Wanted(units) ? Authenticode.For(context, source.BuildTime) : null;
        if (authenticode is null && Authenticode.Wanted(units))
            context.Warn($"win32 programs are not Authenticode-signed: pass --authenticode-cert=<.p12> or {Authenticode.CertBase64Variable} (Windows SmartScreen warns about unsigned programs)");
        using var apple = units.Any(u => u.Platform.Os == "darwin") ? AppleSigning.For(context) : null;
        // Begun once the signers are known: a refused certificate leaves no temp folder behind.
        var temp = ReleaseFolder.Begin(context);
        var stage = Path.Combine(temp, ".stage");
        var installersDir = Path.Combine(temp, ManifestInstaller.Folder);
        // The .NET packs compile BTM in Release (most of a minute on 2 cores): they run while npm packs.
        var dotnet = Task.Run(() => DotNetPackages.Pack(context, temp));
        try
        {
            // Each platform package and wrapper stages and packs on its own (npm pack gzips: CPU-bound on
            // large binaries), --jobs at a time; the manifest lists them in the same order as one by one.
            var wrappers = units.GroupBy(u => u.Package.Name).ToList();
            var packs = new List<Func<ManifestPackage>>();
            var installers = new List<ManifestInstaller>[units.Count];
            if (units.Any(u => u.Package.Installers is not null))
                Directory.CreateDirectory(installersDir);
            foreach (var (unit, index) in units.Select((u, i) => (u, i)))
            {
                packs.Add(() =>
                {
                    var name = NpmNames.Platform(settings, unit.Package, unit.Platform);
                    var dir = Path.Combine(stage, NpmNames.Flat(name));
                    var glibc = PackageStager.StagePlatform(context, unit, dir);
                    authenticode?.SignPrograms(unit, Path.Combine(dir, "bin"));
                    apple?.SignPrograms(unit, Path.Combine(dir, "bin"));
                    installers[index] = Installers.MakeFor(context, unit, dir, installersDir, source.BuildTime, glibc, authenticode);
                    return ReleaseFolder.Pack(context, dir, temp, name, unit.Package.Name, unit.Platform);
                });
            }
            foreach (var group in wrappers)
            {
                packs.Add(() =>
                {
                    var package = group.First().Package;
                    var name = NpmNames.Wrapper(settings, package);
                    var dir = Path.Combine(stage, NpmNames.Flat(name));
                    PackageStager.StageWrapper(context, package, group.Select(u => u.Platform).ToList(), dir,
                        Path.Combine(group.First().OutputDir(CheckpointStage.Compiled), UnitOutputs.FilesFolder));
                    return ReleaseFolder.Pack(context, dir, temp, name, package.Name, null);
                });
            }
            var packed = new ManifestPackage[packs.Count];
            try
            {
                Parallel.For(0, packs.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, context.Options.Jobs) }, i => packed[i] = packs[i]());
            }
            catch (AggregateException e) when (e.InnerExceptions.Count >= 1)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
            }
            var packages = packed.ToList();
            // A bare program's notarization changes none of its bytes (there is nothing to staple):
            // the packed tarballs stand.
            apple?.Notarize();
            Directory.Delete(stage, recursive: true);
            made = installers.SelectMany(i => i).ToList();
            made.AddRange(Installers.MakePerPackage(context, units.Select(u => u.Package).DistinctBy(p => p.Name), made, installersDir,
                package => Licensing.Expression(settings, units.First(u => u.Package.Name == package.Name))));
            nuget = dotnet.GetAwaiter().GetResult();

            if (source.Dirty)
                context.Warn(source.Commit is null ? "not a git checkout: the manifest records no commit" : "the git tree has uncommitted changes: the manifest says dirty");
            ManifestAuthenticode? signedBy = null;
            if (authenticode is not null)
            {
                var pem = System.Text.Encoding.ASCII.GetBytes(authenticode.Certificates);
                AtomicFile.WriteAllBytes(Path.Combine(temp, Authenticode.CertificatesFile), pem);
                signedBy = new ManifestAuthenticode(authenticode.Subject, Authenticode.CertificatesFile, Sha256.Hex(System.Security.Cryptography.SHA256.HashData(pem)));
                context.Success($"Authenticode-signed the win32 programs{(made.Any(m => m.Format == Btm.Core.Model.InstallerOptions.Nsis) ? " and installers" : "")} as {authenticode.Subject}");
            }
            var manifest = new ReleaseManifest(settings.Version, settings.Scope, source.Commit, source.Dirty, source.BuildTime, source.TimeSource,
                Toolchains(units), key is not null, key?.PublicKeyHex, packages) { Partial = partial, Nuget = nuget, Installers = made, Authenticode = signedBy };
            ReleaseFolder.Complete(context, temp, manifest, key, localKey);
        }
        finally
        {
            // Never delete the folder under a pack still writing into it.
            try
            {
                dotnet.Wait();
            }
            catch (AggregateException)
            {
            }
            ReleaseFolder.Abandon(temp);
        }
        context.Success($"{Path.GetRelativePath(context.RepoRoot, ReleasePaths.ReleaseDir(context))}: {units.Count} platform package(s), " +
            $"{units.Select(u => u.Package.Name).Distinct().Count()} wrapper(s), {nuget.Count} .NET package(s), " +
            $"{made.Count} installer(s), manifest.json, SHA256SUMS");
    }

    private static List<ManifestToolchain> Toolchains(IEnumerable<BuildUnit> units) =>
        units.GroupBy(u => u.Platform.ToString()).Select(g => new ManifestToolchain(g.Key, g.First().Identity.Compiler.Summary,
            string.Join("; ", g.Select(u => u.Identity.Builder.Summary).Distinct().Order()))).ToList();
}
