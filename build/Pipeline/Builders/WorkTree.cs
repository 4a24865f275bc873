using Btm.Core.IO;

namespace Btm.Build.Pipeline;

/// <summary>
/// The builder's work tree is kept between runs for incremental builds, unless the toolchain
/// changed or the clone moved: build trees hold absolute paths (CMake refuses a cache made for
/// another source folder), so a copied or moved clone starts its trees afresh.
/// </summary>
public static class WorkTree
{
    public static void ResetIfToolchainChanged(BuildUnit unit, string extra = "")
    {
        var stamp = Path.Combine(unit.WorkDir, ".btm-toolchain");
        var identity = $"{unit.Identity.Render()}\nsource: {unit.Package.Directory}\nwork tree: {unit.WorkDir}\n{extra}";
        if (File.Exists(stamp) && File.ReadAllText(stamp) == identity)
            return;
        if (Directory.Exists(unit.WorkDir))
            Directory.Delete(unit.WorkDir, recursive: true);
        Directory.CreateDirectory(unit.WorkDir);
        AtomicFile.WriteAllBytes(stamp, System.Text.Encoding.UTF8.GetBytes(identity));
    }
}
