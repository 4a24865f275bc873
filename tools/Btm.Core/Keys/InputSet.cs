using Btm.Core.IO;

namespace Btm.Core.Keys;

/// <summary>The files a package's key covers: its input globs, minus build output.</summary>
public static class InputSet
{
    /// <summary>
    /// Relative paths ('/'-separated), sorted by ordinal, so every checkout agrees. Symlinked
    /// folders are not followed: they could lead outside the package, or in a circle.
    /// </summary>
    public static IReadOnlyList<string> Collect(string packageDir, IEnumerable<string> globs)
    {
        var patterns = globs.Select(g => new InputGlob(g)).ToArray();
        var found = new List<string>();
        Walk(new DirectoryInfo(packageDir), [], patterns, found);
        var sorted = found.ToArray();
        Array.Sort(sorted, StringComparer.Ordinal);
        return sorted;
    }

    private static void Walk(DirectoryInfo dir, string[] prefix, InputGlob[] patterns, List<string> found)
    {
        foreach (var entry in dir.EnumerateFileSystemInfos())
        {
            var path = new string[prefix.Length + 1];
            prefix.CopyTo(path, 0);
            path[^1] = entry.Name;
            if (entry is DirectoryInfo sub)
            {
                // build/<mode>/ holds this package's own output; it is never an input. The rest
                // of build/ may be an upstream tree's own (zstd's build/cmake) and is hashed.
                if (prefix.Length == 1 && prefix[0] == Pipeline.BuildOutput.Folder && Pipeline.BuildOutput.IsModeFolder(entry.Name)
                    || sub.LinkTarget is not null)
                    continue;
                if (patterns.Any(p => p.CouldMatchBelow(path)))
                    Walk(sub, path, patterns, found);
            }
            else if (!AtomicFile.IsTemp(entry.Name) && patterns.Any(p => p.Matches(path)))
            {
                found.Add(string.Join('/', path));
            }
        }
    }
}
