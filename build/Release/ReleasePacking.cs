using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using Btm.Build.Pipeline;
using Btm.Build.Release.Installers;
using Btm.Cake.Logging;
using Btm.Core;
using Btm.Core.Checkpoints;
using Btm.Core.IO;
using Btm.Core.Release;

namespace Btm.Build.Release;

/// <summary>
/// One Package run's release in the making: the signers, the temp release folder, the .NET packs
/// running beside, and each unit's platform package with its installers. It begins before the
/// first unit compiles, so the unit pipeline packs each unit as soon as its binaries are final;
/// <see cref="Complete"/> packs the wrappers and per-package installers and writes the signed
/// folder. Disposed without completing (a failed build, test or pack), it leaves nothing behind.
/// </summary>
public sealed class ReleasePacking : IDisposable
{
    private readonly BuildContext _context;
    private readonly IReadOnlyList<BuildUnit> _units;
    private readonly IReadOnlyDictionary<string, IReadOnlyList<string>> _partial;
    private readonly Ed25519Keys.KeyPair? _key;
    private readonly bool _localKey;
    private readonly SourceRevision _source;
    private readonly Authenticode? _authenticode;
    private readonly AppleSigning? _apple;
    private readonly string _temp;
    private readonly Task<IReadOnlyList<ManifestNuget>> _templates;
    private Task<IReadOnlyList<ManifestNuget>>? _tool;
    private readonly ConcurrentDictionary<BuildUnit, (ManifestPackage Package, List<ManifestInstaller> Installers)> _packed = new();

    private string Stage => Path.Combine(_temp, ".stage");
    private string InstallersDir => Path.Combine(_temp, ManifestInstaller.Folder);

    private ReleasePacking(BuildContext context, IReadOnlyList<BuildUnit> units, IReadOnlyDictionary<string, IReadOnlyList<string>> partial,
        Ed25519Keys.KeyPair? key, bool localKey, SourceRevision source, Authenticode? authenticode, AppleSigning? apple)
    {
        _context = context;
        _units = units;
        _partial = partial;
        _key = key;
        _localKey = localKey;
        _source = source;
        _authenticode = authenticode;
        _apple = apple;
        // Begun once the signers are known: a refused certificate leaves no temp folder behind.
        _temp = ReleaseFolder.Begin(context);
        if (units.Any(u => u.Package.Installers is not null || Installers.PspAsset.Wanted(u)))
            Directory.CreateDirectory(InstallersDir);
        // The .NET packs compile BTM in Release (most of a minute on 2 cores): the templates pack while
        // units build, the tool (which carries the built stubs) while the wrappers pack.
        _templates = Task.Run(() => DotNetPackages.PackTemplates(context, _temp));
    }

    /// <summary>Checks the release can be made (complete, signable) and begins its temp folder; nothing is packed yet.</summary>
    public static ReleasePacking Begin(BuildContext context, IReadOnlyList<BuildUnit> units)
    {
        var partial = ReleaseCompleteness.Check(context, units.Select(u => (u.Package, u.Platform)));
        var (key, localKey) = ReleaseFolder.SigningKeyFor(context);
        var source = SourceRevision.Read(context.RepoRoot, context.ToolLookup);
        var authenticode = Authenticode.Wanted(units) ? Authenticode.For(context, source.BuildTime) : null;
        if (authenticode is null && Authenticode.Wanted(units))
            context.Warn($"win32 programs are not Authenticode-signed: pass --authenticode-cert=<.p12> or {Authenticode.CertBase64Variable} (Windows SmartScreen warns about unsigned programs)");
        var apple = units.Any(u => u.Platform.Os == "darwin") ? AppleSigning.For(context) : null;
        try
        {
            return new ReleasePacking(context, units, partial, key, localKey, source, authenticode, apple);
        }
        catch
        {
            apple?.Dispose();
            throw;
        }
    }

    /// <summary>Whether <paramref name="unit"/> ships in this release.</summary>
    public bool Ships(BuildUnit unit) => _units.Contains(unit);

    /// <summary>Stages, signs and packs one unit's platform package and makes its installers.</summary>
    public void PackUnit(BuildUnit unit)
    {
        var settings = _context.Settings;
        var name = NpmNames.Platform(settings, unit.Package, unit.Platform);
        var dir = Path.Combine(Stage, NpmNames.Flat(name));
        var glibc = PackageStager.StagePlatform(_context, unit, dir);
        PspSigning.SignPrograms(unit, Path.Combine(dir, "bin"), _key);
        _authenticode?.SignPrograms(unit, Path.Combine(dir, "bin"));
        _apple?.SignPrograms(unit, Path.Combine(dir, "bin"));
        var installers = Installers.Installers.MakeFor(_context, unit, dir, InstallersDir, _source.BuildTime, glibc, _authenticode);
        _packed[unit] = (ReleaseFolder.Pack(_context, dir, _temp, name, unit.Package.Name, unit.Platform), installers);
    }

    /// <summary>The packed tarball of <paramref name="unit"/> (a path in the temp folder) and its manifest entry.</summary>
    public (string Tarball, ManifestPackage Package) Packed(BuildUnit unit)
    {
        var package = _packed[unit].Package;
        return (Path.Combine(_temp, package.Tarball), package);
    }

    /// <summary>
    /// Packs a wrapper per package and the per-package installers, waits for the .NET packs, and
    /// writes manifest, SHA256SUMS and signature, then moves the folder into place. Every unit must be packed.
    /// </summary>
    public void Complete()
    {
        var settings = _context.Settings;
        if (_units.FirstOrDefault(u => !_packed.ContainsKey(u)) is { } missing)
            throw new InvalidOperationException($"{missing} was never packed");
        _tool = Task.Run(() => DotNetPackages.PackTool(_context, _temp));
        var wrappers = _units.GroupBy(u => u.Package.Name).ToList();
        var packedWrappers = new ManifestPackage[wrappers.Count];
        try
        {
            // npm pack gzips: CPU-bound on large binaries, so --jobs at a time.
            Parallel.For(0, wrappers.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, _context.Options.Jobs) }, i =>
            {
                var group = wrappers[i];
                var package = group.First().Package;
                var name = NpmNames.Wrapper(settings, package);
                var dir = Path.Combine(Stage, NpmNames.Flat(name));
                PackageStager.StageWrapper(_context, package, group.Select(u => u.Platform).ToList(), dir,
                    Path.Combine(group.First().OutputDir(CheckpointStage.Compiled), UnitOutputs.FilesFolder));
                packedWrappers[i] = ReleaseFolder.Pack(_context, dir, _temp, name, package.Name, null);
            });
        }
        catch (AggregateException e) when (e.InnerExceptions.Count >= 1)
        {
            ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
        // The manifest lists platform packages in unit order, then the wrappers, whatever order they packed in.
        var packages = _units.Select(u => _packed[u].Package).Concat(packedWrappers).ToList();
        // A bare program's notarization changes none of its bytes (there is nothing to staple):
        // the packed tarballs stand.
        _apple?.Notarize();
        if (Directory.Exists(Stage))
            Directory.Delete(Stage, recursive: true);
        var made = _units.SelectMany(u => _packed[u].Installers).ToList();
        made.AddRange(Installers.Installers.MakePerPackage(_context, _units.Select(u => u.Package).DistinctBy(p => p.Name), made, InstallersDir,
            package => Licensing.Expression(settings, _units.First(u => u.Package.Name == package.Name))));
        var nuget = _templates.GetAwaiter().GetResult().Concat(_tool.GetAwaiter().GetResult()).ToList();

        if (_source.Dirty)
            _context.Warn(_source.Commit is null ? "not a git checkout: the manifest records no commit" : "the git tree has uncommitted changes: the manifest says dirty");
        ManifestAuthenticode? signedBy = null;
        if (_authenticode is not null)
        {
            var pem = System.Text.Encoding.ASCII.GetBytes(_authenticode.Certificates);
            AtomicFile.WriteAllBytes(Path.Combine(_temp, Authenticode.CertificatesFile), pem);
            signedBy = new ManifestAuthenticode(_authenticode.Subject, Authenticode.CertificatesFile, Sha256.Hex(System.Security.Cryptography.SHA256.HashData(pem)));
            _context.Success($"Authenticode-signed the win32 programs{(made.Any(m => m.Format == Btm.Core.Model.InstallerOptions.Nsis) ? " and installers" : "")} as {_authenticode.Subject}");
        }
        var manifest = new ReleaseManifest(settings.Version, settings.Scope, _source.Commit, _source.Dirty, _source.BuildTime, _source.TimeSource,
            Toolchains(_units), _key is not null, _key?.PublicKeyHex, packages) { Partial = _partial, Nuget = nuget, Installers = made, Authenticode = signedBy };
        ReleaseFolder.Complete(_context, _temp, manifest, _key, _localKey);
        _context.Success($"{Path.GetRelativePath(_context.RepoRoot, ReleasePaths.ReleaseDir(_context))}: {_units.Count} platform package(s), " +
            $"{wrappers.Count} wrapper(s), {nuget.Count} .NET package(s), {made.Count} installer(s), manifest.json, SHA256SUMS");
    }

    public void Dispose()
    {
        // Never delete the folder under a pack still writing into it.
        foreach (var pack in new[] { _templates, _tool }.OfType<Task>())
        {
            try
            {
                pack.Wait();
            }
            catch (AggregateException)
            {
            }
        }
        ReleaseFolder.Abandon(_temp);
        _apple?.Dispose();
    }

    private static List<ManifestToolchain> Toolchains(IEnumerable<BuildUnit> units) =>
        units.GroupBy(u => u.Platform.ToString()).Select(g => new ManifestToolchain(g.Key, g.First().Identity.Compiler.Summary,
            string.Join("; ", g.Select(u => u.Identity.Builder.Summary).Distinct().Order()))).ToList();
}
