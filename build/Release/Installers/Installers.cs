using Btm.Build.Pipeline;
using Btm.Cake.Logging;
using Btm.Core;
using Btm.Core.Platforms;
using Btm.Core.Release;

namespace Btm.Build.Release.Installers;

/// <summary>
/// The installer registry: formats made per platform package, then those made per package from
/// them. A format is one class here plus one line below; its btm.json name goes in
/// InstallerOptions.All and the schema.
/// </summary>
public static class Installers
{
    public static readonly IReadOnlyList<IUnitInstaller> PerUnit = [new DebInstaller(), new RpmInstaller(), new NsisInstaller(), new ZipInstaller(), new TarballInstaller()];

    public static readonly IReadOnlyList<IPackageInstaller> PerPackage = [new HomebrewInstaller(), new ScoopInstaller()];

    /// <summary>The formats <paramref name="unit"/> gets (its package's installers.formats that apply to its platform).</summary>
    public static IEnumerable<IUnitInstaller> For(Btm.Core.Model.PackageManifest package, PlatformId platform) =>
        package.Installers is { } o ? PerUnit.Where(i => o.Makes(i.Format) && i.AppliesTo(platform)) : [];

    /// <summary>The Debian packages the installers of these packages and platforms need (debian-packages.txt "installer:&lt;format&gt;").</summary>
    public static IEnumerable<string> DebianNeeds(IEnumerable<(Btm.Core.Model.PackageManifest Package, PlatformId Platform)> units) =>
        units.SelectMany(u => For(u.Package, u.Platform)).Select(i => i.Format).Distinct().SelectMany(DebianPackages.ForInstaller);

    /// <summary>Makes a platform package's installers from its staged folder into <paramref name="outDir"/>.</summary>
    public static List<ManifestInstaller> MakeFor(BuildContext context, BuildUnit unit, string staged, string outDir, DateTimeOffset time, string? glibc, Authenticode? signer)
    {
        var made = new List<ManifestInstaller>();
        var formats = For(unit.Package, unit.Platform).ToList();
        if (PspAsset.Wanted(unit))
            formats.Add(new PspAsset());
        if (formats.Count == 0)
            return made;
        var job = new InstallerJob(context, unit, staged, outDir, time, Licensing.Expression(context.Settings, unit), glibc) { Signer = signer };
        foreach (var format in formats)
        {
            if (format.Tool is { } tool && context.ToolLookup.Find(tool.Command) is null)
                throw new BuildFailedException($"{unit}: its {format.Format} installer needs {tool.Command}, which is not installed. " +
                    $"Fix: apt-get install {tool.DebianPackage} (a Release installs it itself), or leave \"{format.Format}\" out of installers.formats in {unit.Package.ManifestPath}");
            var entry = format.Make(job);
            context.Info($"made {entry.File} ({entry.Size / 1024} KiB)");
            made.Add(entry);
        }
        return made;
    }

    /// <summary>Makes each package's formula and manifest from what its targets made.</summary>
    public static List<ManifestInstaller> MakePerPackage(BuildContext context, IEnumerable<Btm.Core.Model.PackageManifest> packages, IReadOnlyList<ManifestInstaller> made,
        string outDir, Func<Btm.Core.Model.PackageManifest, string> license)
    {
        var result = new List<ManifestInstaller>();
        foreach (var package in packages.Where(p => p.Installers is not null))
        {
            var job = new PackageInstallerJob(context, package, made.Where(m => m.Component == package.Name).ToList(), outDir, license(package));
            foreach (var format in PerPackage.Where(f => package.Installers!.Makes(f.Format)))
            {
                if (format.Make(job) is { } entry)
                {
                    context.Info($"made {entry.File}");
                    result.Add(entry);
                }
            }
        }
        return result;
    }
}
