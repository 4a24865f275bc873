namespace Btm.Core.IO;

/// <summary>Keeps paths that come from input (archives, globs, settings) inside their root.</summary>
public static class PathGuard
{
    /// <summary>
    /// Resolves <paramref name="relative"/> under <paramref name="root"/>, or throws when it is
    /// absolute, has '..' segments, or otherwise lands outside the root.
    /// </summary>
    public static string Resolve(string root, string relative)
    {
        if (string.IsNullOrEmpty(relative) || Path.IsPathRooted(relative) || relative.Contains('\0')
            || relative.Split('/', '\\').Any(s => s == ".."))
            throw new InvalidDataException($"path '{relative}' escapes {root}");
        var fullRoot = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        var full = Path.GetFullPath(Path.Combine(fullRoot, relative));
        if (!full.StartsWith(fullRoot + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new InvalidDataException($"path '{relative}' escapes {root}");
        return full;
    }

    /// <summary>
    /// <see cref="Resolve"/>, then resolved rather than only normalized: no folder or file on the
    /// way from <paramref name="root"/> to the path may be a symbolic link (one planted under
    /// packages/ would carry writes out of the root), and the result stays inside the root's real path.
    /// </summary>
    public static string ResolveNoLinks(string root, string relative)
    {
        var full = Resolve(root, relative);
        var realRoot = Path.TrimEndingDirectorySeparator(Path.GetFullPath(new DirectoryInfo(root).ResolveLinkTarget(true)?.FullName ?? root));
        var fullRoot = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        var at = fullRoot;
        foreach (var segment in Path.GetRelativePath(fullRoot, full).Split(Path.DirectorySeparatorChar))
        {
            at = Path.Combine(at, segment);
            var info = new FileInfo(at);
            if (info.LinkTarget is not null)
                throw new InvalidDataException($"path '{relative}' goes through the symbolic link {Path.GetRelativePath(fullRoot, at)} (to {info.LinkTarget})");
            if (!info.Exists && !Directory.Exists(at))
                break;
        }
        var real = Path.Combine(realRoot, Path.GetRelativePath(fullRoot, full));
        if (!Path.GetFullPath(real).StartsWith(realRoot + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new InvalidDataException($"path '{relative}' escapes {root}");
        return full;
    }
}
