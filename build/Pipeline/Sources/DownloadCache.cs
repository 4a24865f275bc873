using Btm.Core.IO;

namespace Btm.Build.Pipeline.Sources;

/// <summary>
/// Content-addressed downloads shared by every clone: &lt;root&gt;/&lt;sha256&gt;, where root is
/// $BTM_DOWNLOAD_DIR, else $XDG_CACHE_HOME/btm/downloads, else ~/.cache/btm/downloads. A file
/// enters only under the hash of its bytes (temp name, hash checked, then renamed), and is checked
/// again before every use.
/// </summary>
public sealed class DownloadCache(string root)
{
    public string Root { get; } = root;

    public static DownloadCache FromEnvironment(Func<string, string?> environment)
    {
        if (environment("BTM_DOWNLOAD_DIR") is { Length: > 0 } dir)
            return new DownloadCache(Path.GetFullPath(dir));
        return new DownloadCache(Path.Combine(CacheHome(environment), "downloads"));
    }

    /// <summary>BTM's per-user cache, shared by every clone: $XDG_CACHE_HOME/btm, else ~/.cache/btm.</summary>
    public static string CacheHome(Func<string, string?> environment)
    {
        var xdg = environment("XDG_CACHE_HOME");
        var home = environment("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(xdg is { Length: > 0 } ? xdg : Path.Combine(home, ".cache"), "btm");
    }

    public string PathFor(string sha256) => Path.Combine(Root, sha256);

    /// <summary>The cached file when it is there with the right hash; a damaged one is removed.</summary>
    public string? Find(string sha256, Action<string> warn)
    {
        var path = PathFor(sha256);
        if (!File.Exists(path))
            return null;
        var actual = Sha256.HexOfFile(path);
        if (actual == sha256)
            return path;
        warn($"download cache entry {path} holds other bytes (sha256 {actual}); removed, fetching again");
        File.Delete(path);
        return null;
    }

    /// <summary>A temp path in the cache folder for a download in progress (same file system, so the rename is atomic).</summary>
    public string TempFor(string sha256)
    {
        Directory.CreateDirectory(Root);
        // Other builds (other clones) may be downloading into this folder right now.
        AtomicFile.RemoveLeftovers(Root, TimeSpan.FromHours(1));
        return AtomicFile.TempPathFor(PathFor(sha256));
    }

    /// <summary>Moves a finished download in, if its bytes hash to <paramref name="sha256"/>; otherwise returns their hash.</summary>
    public (string? Path, string Actual) Admit(string temp, string sha256)
    {
        var actual = Sha256.HexOfFile(temp);
        if (actual != sha256)
        {
            File.Delete(temp);
            return (null, actual);
        }
        File.Move(temp, PathFor(sha256), overwrite: true);
        return (PathFor(sha256), actual);
    }
}
