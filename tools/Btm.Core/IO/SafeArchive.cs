using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;

namespace Btm.Core.IO;

/// <summary>
/// Unpacks a source archive (tar, tar.gz, tar.xz, tar.bz2, tar.zst, zip) into a folder and never
/// outside it: an entry with an absolute path or a '..' segment, a link whose target leaves the
/// folder, or a file written through a symlinked folder stops the unpacking, naming the entry.
/// </summary>
public static class SafeArchive
{
    /// <summary>What <see cref="Extract"/> refuses; the message names the archive and the entry.</summary>
    public sealed class UnsafeEntryException(string message) : BuildFailedException(message);

    public static bool IsSupported(string fileName) => Kind(fileName) is not null;

    private static string? Kind(string fileName)
    {
        var name = fileName.ToLowerInvariant();
        foreach (var (suffix, kind) in new[]
                 {
                     (".tar.gz", "gz"), (".tgz", "gz"), (".tar.xz", "xz"), (".txz", "xz"), (".tar.bz2", "bz2"), (".tbz2", "bz2"),
                     (".tar.zst", "zst"), (".tar", "tar"), (".zip", "zip"),
                 })
        {
            if (name.EndsWith(suffix, StringComparison.Ordinal))
                return kind;
        }
        return null;
    }

    /// <param name="archive">The archive file.</param>
    /// <param name="fileName">Its name as published (decides the format).</param>
    /// <param name="destination">The folder it unpacks into; created if missing.</param>
    /// <param name="stripComponents">Leading path segments dropped from every entry (entries with no more are skipped).</param>
    public static int Extract(string archive, string fileName, string destination, int stripComponents)
    {
        Directory.CreateDirectory(destination);
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(destination));
        var kind = Kind(fileName) ?? throw new BuildFailedException(
            $"{fileName}: not an archive BTM unpacks (use .tar.gz, .tar.xz, .tar.bz2, .tar.zst, .tar or .zip)");
        if (kind == "zip")
            return ExtractZip(archive, fileName, root, stripComponents);
        Process? decompressor = null;
        Stream input;
        if (kind is "xz" or "bz2" or "zst")
        {
            // .NET reads gzip itself; the others go through the system's own decompressor.
            var program = kind switch { "xz" => "xz", "bz2" => "bzip2", _ => "zstd" };
            var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { "-d", "-c", archive })
                start.ArgumentList.Add(a);
            try
            {
                decompressor = Process.Start(start)!;
            }
            catch (System.ComponentModel.Win32Exception)
            {
                throw new BuildFailedException($"{fileName}: unpacking needs {program}, which is not installed (apt-get install {(program == "xz" ? "xz-utils" : program)})");
            }
            decompressor.ErrorDataReceived += (_, _) => { };
            decompressor.BeginErrorReadLine();
            input = decompressor.StandardOutput.BaseStream;
        }
        else
        {
            var file = File.OpenRead(archive);
            input = kind == "gz" ? new GZipStream(file, CompressionMode.Decompress) : file;
        }
        try
        {
            var count = 0;
            using var reader = new TarReader(input);
            while (reader.GetNextEntry() is { } entry)
            {
                if (entry.EntryType is TarEntryType.GlobalExtendedAttributes or TarEntryType.ExtendedAttributes)
                    continue;
                var relative = Strip(entry.Name, stripComponents, fileName);
                if (relative is null)
                    continue;
                var target = Inside(root, relative, fileName, entry.Name);
                switch (entry.EntryType)
                {
                    case TarEntryType.Directory:
                        NoLinkedParents(root, target, fileName, entry.Name);
                        Directory.CreateDirectory(target);
                        break;
                    case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                        NoLinkedParents(root, target, fileName, entry.Name);
                        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                        using (var output = new FileStream(target, FileMode.Create, FileAccess.Write))
                            entry.DataStream?.CopyTo(output);
                        SetMode(target, (int)entry.Mode);
                        // The archive's times, as tar keeps them: automake compares Makefile.in with
                        // Makefile.am, and "now" for both would send it looking for aclocal-1.14.
                        File.SetLastWriteTimeUtc(target, entry.ModificationTime.UtcDateTime);
                        count++;
                        break;
                    case TarEntryType.SymbolicLink:
                        NoLinkedParents(root, target, fileName, entry.Name);
                        var linkTarget = entry.LinkName;
                        if (Path.IsPathRooted(linkTarget))
                            throw new UnsafeEntryException($"{fileName}: entry '{entry.Name}' is a link to the absolute path '{linkTarget}'; refusing to unpack it");
                        Inside(root, Path.GetRelativePath(root, Path.GetFullPath(Path.Combine(Path.GetDirectoryName(target)!, linkTarget))),
                            fileName, $"{entry.Name} -> {linkTarget}");
                        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                        File.Delete(target);
                        File.CreateSymbolicLink(target, linkTarget);
                        break;
                    case TarEntryType.HardLink:
                        NoLinkedParents(root, target, fileName, entry.Name);
                        var linked = Strip(entry.LinkName, stripComponents, fileName)
                            ?? throw new UnsafeEntryException($"{fileName}: entry '{entry.Name}' links to '{entry.LinkName}', outside what is unpacked");
                        var source = Inside(root, linked, fileName, $"{entry.Name} -> {entry.LinkName}");
                        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                        File.Copy(source, target, overwrite: true);
                        count++;
                        break;
                    // Devices, fifos and the like have no place in a source tree.
                }
            }
            return count;
        }
        catch (InvalidDataException e)
        {
            throw new BuildFailedException($"{fileName}: not a readable archive ({e.Message})");
        }
        finally
        {
            input.Dispose();
            if (decompressor is not null)
            {
                decompressor.WaitForExit();
                if (decompressor.ExitCode != 0)
                    throw new BuildFailedException($"{fileName}: the decompressor failed (exit code {decompressor.ExitCode}); the archive is damaged");
                decompressor.Dispose();
            }
        }
    }

    private static int ExtractZip(string archive, string fileName, string root, int stripComponents)
    {
        using var zip = ZipFile.OpenRead(archive);
        var count = 0;
        foreach (var entry in zip.Entries)
        {
            var relative = Strip(entry.FullName, stripComponents, fileName);
            if (relative is null)
                continue;
            var target = Inside(root, relative, fileName, entry.FullName);
            NoLinkedParents(root, target, fileName, entry.FullName);
            if (entry.FullName.EndsWith('/'))
            {
                Directory.CreateDirectory(target);
                continue;
            }
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            entry.ExtractToFile(target, overwrite: true);
            File.SetLastWriteTimeUtc(target, entry.LastWriteTime.UtcDateTime);
            var mode = (entry.ExternalAttributes >> 16) & 0x1FF;
            if (mode != 0)
                SetMode(target, mode);
            count++;
        }
        return count;
    }

    private static string? Strip(string name, int components, string fileName)
    {
        var parts = name.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".").ToArray();
        if (name.StartsWith('/') || (name.Length > 1 && name[1] == ':'))
            throw new UnsafeEntryException($"{fileName}: entry '{name}' has an absolute path; refusing to unpack it");
        if (parts.Contains(".."))
            throw new UnsafeEntryException($"{fileName}: entry '{name}' climbs out with '..'; refusing to unpack it");
        return parts.Length <= components ? null : string.Join('/', parts[components..]);
    }

    private static string Inside(string root, string relative, string fileName, string entry)
    {
        var full = Path.GetFullPath(Path.Combine(root, relative));
        if (full != root && !full.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new UnsafeEntryException($"{fileName}: entry '{entry}' points outside the folder it unpacks into; refusing to unpack it");
        return full;
    }

    /// <summary>No folder between the root and the target is a symlink: nothing is written through one.</summary>
    private static void NoLinkedParents(string root, string target, string fileName, string entry)
    {
        var dir = Path.GetDirectoryName(target);
        while (dir is not null && dir.Length > root.Length)
        {
            if (new DirectoryInfo(dir) is { Exists: true, LinkTarget: not null })
                throw new UnsafeEntryException($"{fileName}: entry '{entry}' would be written through the symlink {Path.GetRelativePath(root, dir)}; refusing to unpack it");
            dir = Path.GetDirectoryName(dir);
        }
    }

    private static void SetMode(string path, int mode)
    {
        if (OperatingSystem.IsWindows())
            return;
        // The owner can always read and write what was unpacked; the rest is the archive's.
        File.SetUnixFileMode(path, (UnixFileMode)((mode & 0x1FF) | 0x180));
    }
}
