using System.Collections.Concurrent;
using Btm.Core.IO;

namespace Btm.Build.Pipeline;

/// <summary>
/// Each unit's work tree follows its key: it starts clean whenever the key changed (version,
/// recipe, sources, toolchain …) or --force asks, and is kept only while the key stays, so Test
/// reuses what Compile built. The stamp also names the package folder and the tree itself: build
/// trees hold absolute paths (CMake refuses a cache made for another source folder), so a clone
/// that was moved or copied starts afresh.
/// </summary>
public sealed class WorkTrees(bool force)
{
    private readonly ConcurrentDictionary<BuildUnit, byte> _resetThisRun = new();

    /// <summary>Makes the unit's work tree current; true when it was (re)created empty.</summary>
    public bool Prepare(BuildContext context, BuildUnit unit, string extra = "")
    {
        var stamp = Path.Combine(unit.WorkDir, ".btm-tree");
        var identity = $"key: {context.Keys.For(unit).Key}\n{unit.Identity.Render()}\nsource: {unit.Package.Directory}\nwork tree: {unit.WorkDir}\n{extra}";
        var forced = force && _resetThisRun.TryAdd(unit, 0);
        if (!forced && File.Exists(stamp) && File.ReadAllText(stamp) == identity)
            return false;
        if (Directory.Exists(unit.WorkDir))
            Directory.Delete(unit.WorkDir, recursive: true);
        Directory.CreateDirectory(unit.WorkDir);
        AtomicFile.WriteAllBytes(stamp, System.Text.Encoding.UTF8.GetBytes(identity));
        _resetThisRun.TryAdd(unit, 0);
        return true;
    }
}
