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
}
