using System.Globalization;
using Btm.Cake.Installers;
using Btm.Core.Platforms;
using Btm.Core.Release;

namespace Btm.Build.Release.Installers;

/// <summary>
/// A .deb per linux glibc target: a control file from btm.json, a machine-readable copyright file
/// (DEP-5) holding the licence texts, a Debian changelog, programs in /usr/bin; depends on libc6 at
/// the package's glibc floor when its programs are dynamically linked. Built by dpkg-deb with
/// root-owned files and the release's time (SOURCE_DATE_EPOCH), so two runs give the same bytes.
/// </summary>
public sealed class DebInstaller : IUnitInstaller
{
    public string Format => Btm.Core.Model.InstallerOptions.Deb;

    public bool AppliesTo(PlatformId platform) => platform.Os == "linux" && !platform.Musl;

    public (string Command, string DebianPackage)? Tool => ("dpkg-deb", "dpkg");

    public static string Architecture(PlatformId platform) => platform.Cpu == "x64" ? "amd64" : "arm64";

    /// <summary>Debian package names allow [a-z0-9+.-]; npm's also allow '_'.</summary>
    public static string PackageName(string name) => name.Replace('_', '-');

    public ManifestInstaller Make(InstallerJob job)
    {
        var name = PackageName(job.Package.Name);
        var version = InstallerJob.DistroVersion(job.Version);
        var file = $"{name}_{version}_{Architecture(job.Platform)}.deb";
        var work = Directory.CreateTempSubdirectory("btm-deb-").FullName;
        try
        {
            var root = Path.Combine(work, "root");
            var doc = $"/usr/share/doc/{name}";
            var installed = LinuxTree.Lay(job, root, doc, doc);
            LinuxTree.Place(root, $"{doc}/copyright", LinuxTree.Utf8(Copyright(job, name)), executable: false);
            LinuxTree.Place(root, $"{doc}/changelog.gz", LinuxTree.Gzip(LinuxTree.Utf8(Changelog(job, name, version))), executable: false);
            var size = Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Sum(f => (new FileInfo(f).Length + 1023) / 1024);
            LinuxTree.Place(root, "/DEBIAN/control", LinuxTree.Utf8(Control(job, name, version, size, Dynamic(root, installed))), executable: false);
            LinuxTree.Settle(root, job.Time);
            var output = Path.Combine(job.OutDir, file);
            job.Context.DpkgDebBuild(new DpkgDebSettings
            {
                Root = root,
                Output = output,
                EnvironmentVariables = new Dictionary<string, string?> { ["SOURCE_DATE_EPOCH"] = job.Time.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) },
            });
            return job.Entry(Format, file);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static bool Dynamic(string root, IEnumerable<string> installed) =>
        installed.Where(p => p.StartsWith("/usr/bin/", StringComparison.Ordinal))
            .Any(p => ElfInterpreter.Read(Path.Combine(root, p.TrimStart('/'))).Interpreter is not null);

    private static string Control(InstallerJob job, string name, string version, long installedKiB, bool dynamic)
    {
        var o = job.Options;
        var lines = new List<string>
        {
            $"Package: {name}",
            $"Version: {version}",
            $"Architecture: {Architecture(job.Platform)}",
            $"Maintainer: {o.Maintainer}",
            $"Installed-Size: {installedKiB}",
        };
        if (dynamic && job.Glibc is { } glibc)
            lines.Add($"Depends: libc6 (>= {glibc})");
        lines.Add($"Section: {o.Section}");
        lines.Add("Priority: optional");
        if (o.Homepage is not null)
            lines.Add($"Homepage: {o.Homepage}");
        var synopsis = LinuxTree.Synopsis(job.Package.Description);
        lines.Add($"Description: {synopsis}");
        var full = job.Package.Description.Trim().TrimEnd('.') == synopsis ? "" : LinuxTree.Wrap(job.Package.Description.Trim()) + "\n\n";
        lines.Add(LinuxTree.Indent(full + $"The {job.Platform} build of {job.Package.Name} {job.Version}, made by BTM."));
        return string.Join("\n", lines) + "\n";
    }

    /// <summary>DEP-5: the package's own licence for its files, each component's text beside it.</summary>
    private static string Copyright(InstallerJob job, string name)
    {
        var o = job.Options;
        var holder = o.Maintainer[..o.Maintainer.IndexOf(" <", StringComparison.Ordinal)];
        var own = job.Package.License ?? job.Context.Settings.License;
        var text = $"Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nUpstream-Name: {job.Package.Name}\n" +
            (o.Homepage is null ? "" : $"Source: {o.Homepage}\n") +
            $"Comment: The programs in /usr/bin are under {job.License}: the package's own licence and its components' (their texts are in\n" +
            $" /usr/share/doc/{name}/licenses, listed in THIRD-PARTY-NOTICES.md there).\n\n" +
            $"Files: *\nCopyright: {job.Time.Year} {holder}\nLicense: {own}\n{LinuxTree.Indent(job.OwnLicenceText())}\n";
        return text;
    }

    private static string Changelog(InstallerJob job, string name, string version) =>
        $"{name} ({version}) unstable; urgency=medium\n\n  * Release {job.Version}, built by BTM.\n\n" +
        $" -- {job.Options.Maintainer}  {job.Time.ToUniversalTime().ToString("ddd, dd MMM yyyy HH:mm:ss +0000", CultureInfo.InvariantCulture)}\n";
}
