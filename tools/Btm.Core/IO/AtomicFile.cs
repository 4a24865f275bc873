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

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> Live = new(StringComparer.Ordinal);

    /// <summary>A unique sibling of <paramref name="path"/> that <see cref="IsTemp"/> recognises.</summary>
    public static string TempPathFor(string path)
    {
        var temp = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, $".{Path.GetFileName(path)}{TempMarker}{Guid.NewGuid():N}");
        Live[temp] = 0;
        return temp;
    }

    /// <summary>
    /// Removes every temp file or folder this process named and that still exists (renamed ones are
    /// gone already): an interrupted run leaves nothing half-written behind.
    /// </summary>
    public static int RemoveLiveTemps()
    {
        var removed = 0;
        foreach (var temp in Live.Keys)
        {
            try
            {
                if (Directory.Exists(temp))
                    Directory.Delete(temp, recursive: true);
                else if (File.Exists(temp))
                    File.Delete(temp);
                else
                    continue;
                removed++;
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        return removed;
    }

    public static bool IsTemp(string path)
    {
        var name = Path.GetFileName(path);
        return name.StartsWith('.') && name.Contains(TempMarker, StringComparison.Ordinal);
    }

    /// <summary>
    /// Removes temp files a crashed writer left in <paramref name="directory"/>. Where other
    /// processes may be writing there unlocked (a cache every clone shares), only those untouched
    /// for <paramref name="untouchedFor"/>: a writer still at work keeps its temp file's time fresh.
    /// </summary>
    public static int RemoveLeftovers(string directory, TimeSpan? untouchedFor = null)
    {
        if (!Directory.Exists(directory))
            return 0;
        var removed = 0;
        var before = DateTime.UtcNow - (untouchedFor ?? TimeSpan.Zero);
        foreach (var entry in Directory.EnumerateFileSystemEntries(directory).Where(IsTemp).ToList())
        {
            if (untouchedFor is not null && Directory.GetLastWriteTimeUtc(entry) > before)
                continue;
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
