using Btm.Build.Host;
using Btm.Cake.Logging;
using Btm.Core.Pipeline;

namespace Btm.Build.Tasks;

[TaskName("Clean")]
[TaskDescription("Removes BTM's build output and checkpoints (build/dev, build/prod) of every package, or of the --package packages only")]
public sealed class CleanTask : BtmTask
{
    public override RunDecision ShouldRun(BuildContext context) =>
        Targets(context).Any(Directory.Exists) ? RunDecision.Run : RunDecision.Skip("nothing to clean");

    public override void Run(BuildContext context)
    {
        foreach (var dir in Targets(context).Where(Directory.Exists))
        {
            Directory.Delete(dir, recursive: true);
            context.Success($"removed {Path.GetRelativePath(context.RepoRoot, dir)}");
            // build/ itself goes only when BTM's folders were all it held.
            var parent = Path.GetDirectoryName(dir)!;
            if (Directory.Exists(parent) && !Directory.EnumerateFileSystemEntries(parent).Any())
                Directory.Delete(parent);
        }
    }

    // Only the named packages: cleaning is not a build, so dependencies are left alone.
    private static IEnumerable<string> Targets(BuildContext context)
    {
        var names = context.Options.Packages.Count > 0
            ? context.Graph.Select(context.Options.Packages).Select(p => p.Name).Where(context.Options.Packages.Contains)
            : context.Graph.TopologicalOrder.Select(p => p.Name);
        return names.SelectMany(n => BuildOutput.Owned(context.Graph[n].Directory));
    }
}
