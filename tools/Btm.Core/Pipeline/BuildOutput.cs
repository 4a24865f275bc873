using Btm.Core.Model;

namespace Btm.Core.Pipeline;

/// <summary>
/// What BTM owns in a package folder: build/&lt;mode&gt;/ (build/dev, build/prod) and nothing else.
/// An upstream tree's own build/ folder (zstd's build/cmake, say) is the package's, hashed into
/// its key, copied into its source tree, and never cleaned.
/// </summary>
public static class BuildOutput
{
    public const string Folder = UnitLayout.BuildFolder;

    public static bool IsModeFolder(string name) => BuildMode.TryParse(name) is { } mode && mode.Id == name;

    /// <summary>The folders BTM created under a package: build/dev and build/prod, where they exist.</summary>
    public static IEnumerable<string> Owned(string packageDir) =>
        new[] { BuildMode.Dev, BuildMode.Prod }.Select(m => Path.Combine(packageDir, Folder, m.Id)).Where(Directory.Exists);
}
