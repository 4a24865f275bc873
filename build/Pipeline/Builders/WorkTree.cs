using Btm.Core.IO;

namespace Btm.Build.Pipeline;

/// <summary>The builder's work tree is kept between runs for incremental builds, unless the toolchain changed.</summary>
public static class WorkTree
{
    public static void ResetIfToolchainChanged(BuildUnit unit, string extra = "")
    {
        var stamp = Path.Combine(unit.WorkDir, ".btm-toolchain");
        var identity = unit.Identity.Render() + "\n" + extra;
        if (File.Exists(stamp) && File.ReadAllText(stamp) == identity)
            return;
        if (Directory.Exists(unit.WorkDir))
            Directory.Delete(unit.WorkDir, recursive: true);
        Directory.CreateDirectory(unit.WorkDir);
        AtomicFile.WriteAllBytes(stamp, System.Text.Encoding.UTF8.GetBytes(identity));
    }
}
