using Btm.Core;
using Btm.Core.Keys;

namespace Btm.Build.Pipeline;

/// <summary>
/// A build must not write into the package folder (its own output would change its key, and an
/// upstream tree there is never to be touched): the folder, minus BTM's build/&lt;mode&gt;, is
/// listed before the build and compared after; a new or changed file fails the stage, named.
/// </summary>
public sealed class PackageFolderGuard
{
    private readonly string _root;
    private readonly Dictionary<string, (long Size, DateTime Written)> _before;

    private PackageFolderGuard(string root)
    {
        _root = root;
        _before = Snapshot(root);
    }

    public static PackageFolderGuard Watch(BuildUnit unit) => new(unit.Package.Directory);

    public void Check(BuildUnit unit)
    {
        var after = Snapshot(_root);
        var added = after.Keys.Where(k => !_before.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        var changed = after.Where(a => _before.TryGetValue(a.Key, out var b) && b != a.Value).Select(a => a.Key).Order(StringComparer.Ordinal).ToList();
        if (added.Count == 0 && changed.Count == 0)
            return;
        static string Names(List<string> files) => string.Join(", ", files.Take(5)) + (files.Count > 5 ? $" and {files.Count - 5} more" : "");
        // A new file can only be the build's; a changed one may be an edit made while the build ran,
        // and then the fix is to build again, not to change the build.
        var what = (added.Count > 0 ? $"the build wrote new files into the package folder: {Names(added)}" : "") +
            (added.Count > 0 && changed.Count > 0 ? "; " : "") +
            (changed.Count > 0 ? $"files in the package folder changed while the build ran: {Names(changed)} (edited during the build? then build again)" : "");
        throw new BuildFailedException($"{unit}: {what}. " +
            "BTM builds in the unit's work tree; output in the package folder would change the package's own key. " +
            "Fix: write only under $(BTM_OUT_DIR)/$(BTM_WORK_DIR) (make) or the binary dir (CMake), or build from pinned \"sources\"");
    }

    // Every file the package's key could cover: the folder minus BTM's build/<mode>.
    private static Dictionary<string, (long, DateTime)> Snapshot(string root) =>
        InputSet.Collect(root, ["**/*"]).ToDictionary(p => p, p =>
        {
            var file = new FileInfo(Path.Combine(root, p));
            return (file.Length, file.LastWriteTimeUtc);
        }, StringComparer.Ordinal);
}
