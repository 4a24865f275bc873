using Btm.Core.IO;
using Microsoft.Extensions.FileSystemGlobbing;

namespace Btm.Core.Keys;

/// <summary>The files a package's key covers: its input globs, minus build output.</summary>
public static class InputSet
{
    /// <summary>Relative paths ('/'-separated), sorted by ordinal, so every checkout agrees.</summary>
    public static IReadOnlyList<string> Collect(string packageDir, IEnumerable<string> globs)
    {
        var matcher = new Matcher(StringComparison.Ordinal);
        foreach (var glob in globs)
            matcher.AddInclude(glob);
        matcher.AddExclude("build/**");
        return matcher.GetResultsInFullPath(packageDir)
            .Select(full => Path.GetRelativePath(packageDir, full).Replace('\\', '/'))
            .Where(rel => !AtomicFile.IsTemp(rel))
            .Distinct()
            .Order(StringComparer.Ordinal)
            .ToList();
    }
}
