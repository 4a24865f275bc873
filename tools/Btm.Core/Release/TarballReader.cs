using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;

namespace Btm.Core.Release;

/// <summary>Lists the files of a .tgz with their sizes, modes and hashes (folders are implied by paths).</summary>
public static class TarballReader
{
    /// <summary>The text of one file in a .tgz (e.g. package/package.json).</summary>
    public static string ReadText(string tarball, string path) => new StreamReader(new MemoryStream(ReadBytes(tarball, path))).ReadToEnd();

    /// <summary>The bytes of one file in a .tgz.</summary>
    public static byte[] ReadBytes(string tarball, string path)
    {
        using var file = File.OpenRead(tarball);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new TarReader(gzip);
        while (reader.GetNextEntry() is { } entry)
        {
            if (entry.Name == path && entry.DataStream is { } data)
            {
                var copy = new MemoryStream();
                data.CopyTo(copy);
                return copy.ToArray();
            }
        }
        throw new InvalidDataException($"{tarball} has no {path}");
    }

    /// <summary>Copies every regular file of a .tgz whose path <paramref name="wanted"/> accepts into <paramref name="into"/> (by file name); returns the copies.</summary>
    public static List<(string Path, string File)> Extract(string tarball, Func<string, bool> wanted, string into)
    {
        var copies = new List<(string, string)>();
        using var file = File.OpenRead(tarball);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new TarReader(gzip);
        while (reader.GetNextEntry() is { } entry)
        {
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || !wanted(entry.Name) || entry.DataStream is not { } data)
                continue;
            var target = System.IO.Path.Combine(into, $"{copies.Count}-{System.IO.Path.GetFileName(entry.Name)}");
            using (var output = File.Create(target))
                data.CopyTo(output);
            copies.Add((entry.Name, target));
        }
        return copies;
    }

    public static IReadOnlyList<TarballEntry> Read(string path)
    {
        using var file = File.OpenRead(path);
        return Read(file);
    }

    public static IReadOnlyList<TarballEntry> Read(Stream stream)
    {
        var entries = new List<TarballEntry>();
        using var gzip = new GZipStream(stream, CompressionMode.Decompress, leaveOpen: true);
        using var reader = new TarReader(gzip, leaveOpen: true);
        while (reader.GetNextEntry(copyData: false) is { } entry)
        {
            switch (entry.EntryType)
            {
                case TarEntryType.Directory:
                    continue;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile:
                    using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
                    {
                        long size = 0;
                        if (entry.DataStream is { } data)
                        {
                            var buffer = new byte[1 << 16];
                            int read;
                            while ((read = data.Read(buffer)) > 0)
                            {
                                hash.AppendData(buffer, 0, read);
                                size += read;
                            }
                        }
                        entries.Add(new TarballEntry(entry.Name, size, (int)entry.Mode & 0x1FF, Convert.ToHexStringLower(hash.GetHashAndReset())));
                    }
                    break;
                default:
                    throw new InvalidDataException($"entry '{entry.Name}' has type {entry.EntryType}; npm packages hold only files");
            }
        }
        var duplicate = entries.GroupBy(e => e.Path, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new InvalidDataException($"'{duplicate.Key}' appears {duplicate.Count()} times");
        return entries.OrderBy(e => e.Path, StringComparer.Ordinal).ToList();
    }
}
