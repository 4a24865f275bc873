using System.Formats.Tar;
using System.IO.Compression;
using Btm.Core.IO;

namespace Btm.Core.Checkpoints;

/// <summary>
/// The one writer and reader of checkpoint archives: a gzip-compressed ustar stream whose
/// entries are sorted by path and carry no time, owner or host detail, so the tar layer is
/// byte-stable for the same files (spec: docs/checkpoints.md).
/// </summary>
public static class CheckpointArchive
{
    public static void Write(string sourceDir, Stream output)
    {
        using var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true);
        WriteTar(sourceDir, gzip);
    }

    public static void WriteTar(string sourceDir, Stream output)
    {
        using var writer = new TarWriter(output, TarEntryFormat.Ustar, leaveOpen: true);
        var root = Path.GetFullPath(sourceDir);
        var entries = Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories)
            .Select(full => (Full: full, Rel: Path.GetRelativePath(root, full).Replace('\\', '/')))
            .OrderBy(e => e.Rel, StringComparer.Ordinal);
        foreach (var (full, rel) in entries)
        {
            var info = new FileInfo(full);
            UstarTarEntry entry;
            if (info.LinkTarget is { } target)
            {
                entry = new UstarTarEntry(TarEntryType.SymbolicLink, rel) { LinkName = target.Replace('\\', '/') };
            }
            else if (Directory.Exists(full))
            {
                entry = new UstarTarEntry(TarEntryType.Directory, rel + "/");
            }
            else
            {
                entry = new UstarTarEntry(TarEntryType.RegularFile, rel)
                {
                    DataStream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan),
                };
            }
            entry.Mode = ModeOf(full, info);
            entry.ModificationTime = DateTimeOffset.UnixEpoch;
            entry.Uid = 0;
            entry.Gid = 0;
            entry.UserName = "";
            entry.GroupName = "";
            using (entry.DataStream)
                writer.WriteEntry(entry);
        }
    }

    /// <summary>
    /// Extracts into <paramref name="destDir"/> (which must be empty or absent). Rejects absolute
    /// paths, '..', links that point outside, and any entry type but file, folder and symlink.
    /// </summary>
    public static void Extract(Stream input, string destDir)
    {
        Directory.CreateDirectory(destDir);
        using var gzip = new GZipStream(input, CompressionMode.Decompress, leaveOpen: true);
        using var reader = new TarReader(gzip, leaveOpen: true);
        while (reader.GetNextEntry(copyData: false) is { } entry)
        {
            var name = entry.Name.TrimEnd('/');
            var target = PathGuard.Resolve(destDir, name);
            switch (entry.EntryType)
            {
                case TarEntryType.Directory:
                    Directory.CreateDirectory(target);
                    break;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile:
                    Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                    using (var file = new FileStream(target, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
                        entry.DataStream?.CopyTo(file);
                    break;
                case TarEntryType.SymbolicLink:
                    var linkParent = Path.GetDirectoryName(name.Replace('/', Path.DirectorySeparatorChar)) ?? "";
                    PathGuard.Resolve(destDir, Path.Combine(linkParent, entry.LinkName));
                    Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                    File.CreateSymbolicLink(target, entry.LinkName);
                    continue; // a link has no mode of its own
                default:
                    throw new InvalidDataException($"entry '{entry.Name}' has type {entry.EntryType}; only files, folders and symlinks are allowed");
            }
            if (!OperatingSystem.IsWindows())
                File.SetUnixFileMode(target, entry.Mode & (UnixFileMode)0x1FF);
        }
    }

    private static UnixFileMode ModeOf(string full, FileInfo info)
    {
        if (!OperatingSystem.IsWindows())
            return File.GetUnixFileMode(full) & (UnixFileMode)0x1FF;
        // Windows has no mode bits; give folders and executables the usual 0755, the rest 0644.
        return Directory.Exists(full) || info.Extension.Equals(".exe", StringComparison.OrdinalIgnoreCase)
            ? (UnixFileMode)0x1ED
            : (UnixFileMode)0x1A4;
    }
}
