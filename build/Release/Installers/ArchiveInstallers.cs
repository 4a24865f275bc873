using System.Formats.Tar;
using System.IO.Compression;
using Btm.Core.Platforms;
using Btm.Core.Release;

namespace Btm.Build.Release.Installers;

/// <summary>
/// The plain archives (.tar.gz for linux and darwin, .zip for win32): the programs at the root
/// beside the licence texts and docs, so `tar xf` or Expand-Archive leaves a runnable tool. Entry
/// order, times, owners and modes are fixed, so the bytes depend only on the payload.
/// </summary>
public static class ArchiveLayout
{
    /// <summary>(path in the archive, file on disk, executable), sorted by path.</summary>
    public static List<(string Path, string Source, bool Executable)> Entries(InstallerJob job) =>
        job.Binaries.Select(b => (b, Path.Combine(job.Staged, "bin", b), true))
            .Concat(job.Legal.Concat(job.Docs).Select(p => (p, job.PathOf(p), false)))
            .OrderBy(e => e.Item1, StringComparer.Ordinal).ToList();
}

public sealed class TarballInstaller : IUnitInstaller
{
    public string Format => Btm.Core.Model.InstallerOptions.Tarball;

    public bool AppliesTo(PlatformId platform) => platform.Os is "linux" or "darwin";

    public (string Command, string DebianPackage)? Tool => null;

    public ManifestInstaller Make(InstallerJob job)
    {
        var file = job.FileName(".tar.gz");
        Btm.Core.IO.AtomicFile.Write(Path.Combine(job.OutDir, file), stream =>
        {
            using var gzip = new GZipStream(stream, CompressionLevel.SmallestSize, leaveOpen: true);
            using var tar = new TarWriter(gzip, TarEntryFormat.Ustar, leaveOpen: true);
            foreach (var (path, source, executable) in ArchiveLayout.Entries(job))
            {
                using var data = File.OpenRead(source);
                tar.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, path)
                {
                    DataStream = data,
                    Mode = executable ? (UnixFileMode)0x1ED : (UnixFileMode)0x1A4,
                    ModificationTime = job.Time,
                    Uid = 0,
                    Gid = 0,
                    UserName = "root",
                    GroupName = "root",
                });
            }
        });
        return job.Entry(Format, file);
    }
}

public sealed class ZipInstaller : IUnitInstaller
{
    public string Format => Btm.Core.Model.InstallerOptions.Zip;

    public bool AppliesTo(PlatformId platform) => platform.Os == "win32";

    public (string Command, string DebianPackage)? Tool => null;

    public ManifestInstaller Make(InstallerJob job)
    {
        var file = job.FileName(".zip");
        Btm.Core.IO.AtomicFile.Write(Path.Combine(job.OutDir, file), stream =>
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
            foreach (var (path, source, executable) in ArchiveLayout.Entries(job))
            {
                var entry = zip.CreateEntry(path, CompressionLevel.SmallestSize);
                // A zip holds local times without a zone: the release's UTC time, written as is.
                entry.LastWriteTime = new DateTimeOffset(job.Time.UtcDateTime.Ticks, TimeSpan.Zero);
                entry.ExternalAttributes = (executable ? 0x1ED : 0x1A4) << 16;
                using var into = entry.Open();
                using var data = File.OpenRead(source);
                data.CopyTo(into);
            }
        });
        return job.Entry(Format, file);
    }
}
