using System.Text;
using Btm.Build.Pipeline;
using Btm.Core.Model;
using Btm.Core.Platforms;
using Btm.Core.Release;

namespace Btm.Build.Release.Installers;

/// <summary>
/// One platform package's installers to make: the staged folder npm packs (bin/, the legal files,
/// the files btm.json ships) is the payload every format lays out its own way.
/// </summary>
/// <param name="Staged">The staged platform package folder (package.json, README.md, bin/, LICENSE …).</param>
/// <param name="OutDir">The release's installers/ folder (inside its temp folder).</param>
/// <param name="Time">The release's build time: every timestamp inside an installer, so two runs give the same bytes where the tool allows.</param>
/// <param name="License">The SPDX expression the npm package states (the package's and its components').</param>
/// <param name="Glibc">The glibc the binaries need at least (linux glibc), else null.</param>
public sealed record InstallerJob(BuildContext Context, BuildUnit Unit, string Staged, string OutDir, DateTimeOffset Time, string License, string? Glibc)
{
    public PackageManifest Package => Unit.Package;

    /// <summary>Signs the Windows installer when the release signs win32 programs.</summary>
    public Authenticode? Signer { get; init; }

    public InstallerOptions Options => Package.Installers!;

    public PlatformId Platform => Unit.Platform;

    public string Version => Context.VersionOf(Package);

    /// <summary>The shipped executables: bin/'s files, by name.</summary>
    public IReadOnlyList<string> Binaries =>
        Directory.EnumerateFiles(Path.Combine(Staged, "bin")).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList();

    /// <summary>Licence texts and notices (relative paths, '/'): LICENSE/COPYING/NOTICE, THIRD-PARTY-NOTICES.md, licenses/**.</summary>
    public IReadOnlyList<string> Legal => Relative().Where(IsLegal).ToList();

    /// <summary>The other files btm.json ships (docs, man pages, data), relative paths with '/'.</summary>
    public IReadOnlyList<string> Docs => Relative().Where(p => !IsLegal(p)).ToList();

    /// <summary>The package's own licence text (LICENSE, else COPYING, else NOTICE).</summary>
    public string OwnLicenceText()
    {
        var file = Legal.Where(p => !p.Contains('/') && UnitOutputs.IsLegal(p)).OrderBy(p => p.StartsWith("LICENSE", StringComparison.Ordinal) ? 0 : 1).First();
        return File.ReadAllText(Path.Combine(Staged, file), Encoding.UTF8);
    }

    public string PathOf(string relative) => Path.Combine(Staged, relative.Replace('/', Path.DirectorySeparatorChar));

    /// <summary>"&lt;name&gt;-&lt;version&gt;-&lt;platform&gt;&lt;suffix&gt;": the archives' and the Windows installer's file names.</summary>
    public string FileName(string suffix) => $"{Package.Name}-{Version}-{Platform}{suffix}";

    public ManifestInstaller Entry(string format, string file)
    {
        var info = new FileInfo(Path.Combine(OutDir, file));
        return new ManifestInstaller(Package.Name, Platform.ToString(), format, $"{ManifestInstaller.Folder}/{file}", info.Length, Btm.Core.IO.Sha256.HexOfFile(info.FullName));
    }

    private IEnumerable<string> Relative() =>
        Directory.EnumerateFiles(Staged, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(Staged, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Where(p => p is not ("package.json" or "README.md") && !p.StartsWith("bin/", StringComparison.Ordinal) && !p.StartsWith("debug/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);

    private static bool IsLegal(string path) =>
        path.StartsWith(Licensing.LicensesFolder + "/", StringComparison.Ordinal) || path == Licensing.NoticesFile || (!path.Contains('/') && UnitOutputs.IsLegal(path));

    /// <summary>SemVer as Debian and rpm order it: a pre-release sorts before the release with '~' (1.2.0~rc.1 &lt; 1.2.0); build metadata dropped.</summary>
    public static string DistroVersion(string semver)
    {
        var core = semver.Split('+')[0];
        var dash = core.IndexOf('-');
        return dash < 0 ? core : core[..dash] + "~" + core[(dash + 1)..].Replace('-', '.');
    }
}

/// <summary>An installer made per platform package (deb, rpm, the Windows installer, an archive).</summary>
public interface IUnitInstaller
{
    /// <summary>The btm.json installers.formats value.</summary>
    string Format { get; }

    bool AppliesTo(PlatformId platform);

    /// <summary>The program it needs, with the Debian package that has it; null for what BTM writes itself.</summary>
    (string Command, string DebianPackage)? Tool { get; }

    ManifestInstaller Make(InstallerJob job);
}
