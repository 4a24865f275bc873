using System.Globalization;
using Btm.Cake.Installers;
using Btm.Core.Platforms;
using Btm.Core.Release;

namespace Btm.Build.Release.Installers;

/// <summary>
/// An .rpm per linux glibc target, built by rpmbuild from a spec BTM writes: the payload is laid out
/// beforehand (no %build; %install only copies it), licence texts marked %license, no debuginfo,
/// no strip, no build-id links; rpm's automatic Requires (libc.so.6(GLIBC_2.17)…) stay, as they are
/// true. The release's time is the build time and clamps every mtime.
/// </summary>
public sealed class RpmInstaller : IUnitInstaller
{
    public string Format => Btm.Core.Model.InstallerOptions.Rpm;

    public bool AppliesTo(PlatformId platform) => platform.Os == "linux" && !platform.Musl;

    public (string Command, string DebianPackage)? Tool => ("rpmbuild", "rpm");

    public static string Architecture(PlatformId platform) => platform.Cpu == "x64" ? "x86_64" : "aarch64";

    public ManifestInstaller Make(InstallerJob job)
    {
        var name = job.Package.Name;
        var version = InstallerJob.DistroVersion(job.Version);
        var arch = Architecture(job.Platform);
        var work = Directory.CreateTempSubdirectory("btm-rpm-").FullName;
        try
        {
            var payload = Path.Combine(work, "SOURCES", "root");
            var installed = LinuxTree.Lay(job, payload, $"/usr/share/doc/{name}", $"/usr/share/licenses/{name}");
            LinuxTree.Settle(payload, job.Time);
            var spec = Path.Combine(work, $"{name}.spec");
            File.WriteAllText(spec, Spec(job, name, version, installed));
            job.Context.RpmBuild(new RpmBuildSettings
            {
                Spec = spec,
                TopDir = work,
                Architecture = arch,
                EnvironmentVariables = new Dictionary<string, string?> { ["SOURCE_DATE_EPOCH"] = job.Time.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) },
            });
            var built = Path.Combine(work, "RPMS", arch, $"{name}-{version}-1.{arch}.rpm");
            if (!File.Exists(built))
                throw new Btm.Core.BuildFailedException($"{job.Unit}: rpmbuild said nothing went wrong, yet {built} is missing");
            var file = Path.GetFileName(built);
            File.Move(built, Path.Combine(job.OutDir, file));
            return job.Entry(Format, file);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static string Spec(InstallerJob job, string name, string version, IReadOnlyList<string> installed)
    {
        var o = job.Options;
        var lines = new List<string>
        {
            "%global debug_package %{nil}",
            "%global __os_install_post %{nil}",
            "%global _build_id_links none",
            "%global use_source_date_epoch_as_buildtime 1",
            "%global clamp_mtime_to_source_date_epoch 1",
            "%global _buildhost btm",
            $"Name: {name}",
            $"Version: {version}",
            "Release: 1",
            $"Summary: {Escape(LinuxTree.Synopsis(job.Package.Description))}",
            $"License: {job.License}",
            $"Packager: {o.Maintainer}",
        };
        if (o.Homepage is not null)
            lines.Add($"URL: {o.Homepage}");
        lines.AddRange(["", "%description", Escape(LinuxTree.Wrap(job.Package.Description.Trim())), "", $"The {job.Platform} build of {name} {job.Version}, made by BTM.", "",
            "%install", "cp -a %{_sourcedir}/root/. %{buildroot}/", "", "%files", "%defattr(-,root,root,-)"]);
        foreach (var path in installed)
            lines.Add((path.StartsWith($"/usr/share/licenses/", StringComparison.Ordinal) ? "%license " : path.StartsWith("/usr/share/doc/", StringComparison.Ordinal) ? "%doc " : "") + Quote(path));
        return string.Join("\n", lines) + "\n";
    }

    /// <summary>rpm expands macros in text: a literal % is %%.</summary>
    private static string Escape(string text) => text.Replace("%", "%%");

    private static string Quote(string path) => "\"" + Escape(path) + "\"";
}
