namespace Btm.Core.IO;

/// <summary>
/// Writes a file so that readers see either the old content or the complete new content:
/// the bytes go to a temp file in the same folder, are flushed to disk, then renamed over the
/// target (rename within one folder is atomic on POSIX and NTFS).
/// </summary>
public static class AtomicFile
{
    public const string TempMarker = ".tmp-";

    public static void Write(string path, Action<Stream> write)
    {
        var temp = TempPathFor(path);
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            FaultPoints.Hit("atomic-write.before-rename");
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        var copy = bytes.ToArray();
        Write(path, s => s.Write(copy));
    }

    /// <summary>A unique sibling of <paramref name="path"/> that <see cref="IsTemp"/> recognises.</summary>
    public static string TempPathFor(string path) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!,
            $".{Path.GetFileName(path)}{TempMarker}{Guid.NewGuid():N}");

    public static bool IsTemp(string path)
    {
        var name = Path.GetFileName(path);
        return name.StartsWith('.') && name.Contains(TempMarker, StringComparison.Ordinal);
    }

    /// <summary>Removes temp files a crashed writer left in <paramref name="directory"/>.</summary>
    public static int RemoveLeftovers(string directory)
    {
        if (!Directory.Exists(directory))
            return 0;
        var removed = 0;
        foreach (var entry in Directory.EnumerateFileSystemEntries(directory).Where(IsTemp).ToList())
        {
            if (Directory.Exists(entry))
                Directory.Delete(entry, recursive: true);
            else
                TryDelete(entry);
            removed++;
        }
        return removed;
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
