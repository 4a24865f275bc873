using Btm.Cake.Tooling;
using Btm.Core.IO;

namespace Btm.Build.Pipeline;

/// <summary>
/// A failed tool's whole output goes to &lt;unit&gt;/logs/&lt;step&gt;.log; the error shows the last
/// lines and names that file.
/// </summary>
public static class FullLog
{
    public static ToolFailedException Keep(BuildUnit unit, string step, ToolFailedException failure)
    {
        if (failure.LogPath is not null)
            return failure;
        var path = Path.Combine(unit.Layout.Root, "logs", step + ".log");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var text = $"$ {failure.CommandLine}\n{string.Join("\n", failure.Output)}\nexit code {failure.ExitCode}\n";
        AtomicFile.WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(text));
        // Shown from the repo root, where the user runs build.sh.
        var repoRoot = Path.GetDirectoryName(Path.GetDirectoryName(unit.Package.Directory))!;
        return failure.WithLog(Path.GetRelativePath(repoRoot, path));
    }
}
