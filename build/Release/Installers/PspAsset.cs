using Btm.Build.Pipeline;
using Btm.Core.Platforms;
using Btm.Core.Release;

namespace Btm.Build.Release.Installers;

/// <summary>
/// A signed self-contained package is its own installer: the release folder gets each psp
/// program as installers/&lt;name&gt;-&lt;version&gt;-&lt;platform&gt;.psp (.psp.exe for win32), listed in the signed manifest and
/// SHA256SUMS, for users who download one file instead of using npm. Made for every psp unit,
/// with or without btm.json "installers".
/// </summary>
public sealed class PspAsset : IUnitInstaller
{
    public const string FormatName = "psp";

    public string Format => FormatName;

    public bool AppliesTo(PlatformId platform) => true;

    public (string Command, string DebianPackage)? Tool => null;

    public static bool Wanted(BuildUnit unit) => unit.Builder is PspPackageBuilder;

    public ManifestInstaller Make(InstallerJob job)
    {
        var binary = job.Binaries.Single();
        // Windows runs a file by its extension: the win32 asset is <name>-<version>-win32-x64.psp.exe.
        var file = job.FileName(".psp" + job.Platform.ExecutableSuffix);
        var output = Path.Combine(job.OutDir, file);
        Btm.Core.IO.AtomicFile.Write(output, stream =>
        {
            using var input = File.OpenRead(Path.Combine(job.Staged, "bin", binary));
            input.CopyTo(stream);
        });
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(output, (UnixFileMode)0x1ed);
        return job.Entry(Format, file);
    }
}
